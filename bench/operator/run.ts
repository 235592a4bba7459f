// Operator benchmarks against the real test control plane (etcd + kube-apiserver), with the
// operator in this process and the API server calling its webhook over TLS:
//
//   1. pod-create latency as a client sees it, for three kinds of pod created one at a time and
//      interleaved: opted in (the webhook injects), not opted in but in a namespace the webhook
//      covers (the webhook is called and changes nothing), and not opted in where the webhook is
//      not called at all (the API server alone: the baseline). Each create starts on a quiet
//      system (the operator's reaction to the previous one, a status write, is over), or on 2
//      cores whichever kind comes next pays for the previous injection's aftermath;
//   2. the time from a policy change (PATCH) to its status update (observedGeneration) arriving
//      on a watch.
//
//   node_modules/.bin/node bench/operator/run.ts [--quick]
import { KubeClient } from '../../kube/client.ts';
import { parseKubeconfig } from '../../kube/config.ts';
import { Informer } from '../../kube/informer.ts';
import { POLICIES } from '../../kube/resources.ts';
import type { PolicyObject } from '../../policy/types.ts';
import { getControlPlane, stopControlPlane } from '../../test/support/controlplane.ts';
import { startHarness } from '../../test/operator/harness.ts';
import { podManifest, policyManifest } from '../../test/operator/manifests.ts';
import { percentile } from '../lib/stats.ts';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

const quick = process.argv.includes('--quick');
const PODS = quick ? 40 : 200;
const WARMUP = quick ? 10 : 30;
const CHANGES = quick ? 15 : 50;

const ms = (v: number): string => `${v.toFixed(1).padStart(6)} ms`;

const cp = await getControlPlane();
const h = await startHarness(cp, { direct: true });
try {
  const covered = await h.coveredNamespace('bench');
  const uncovered = await cp.newNamespace('bench-plain');
  for (const ns of [covered, uncovered]) {
    const r = await cp.api('POST', `/apis/mcpresidency.io/v1alpha1/namespaces/${ns}/mcpresidencypolicies`, policyManifest(ns, 'eu'));
    if (r.status !== 201) throw new Error(`policy: ${r.text}`);
  }

  const kinds: { label: string; ns: string; annotations: Record<string, string> }[] = [
    { label: 'opted in (webhook injects the sidecar)', ns: covered, annotations: { 'mcpresidency.io/policy': 'eu' } },
    { label: 'not opted in (webhook called, no change)', ns: covered, annotations: {} },
    { label: 'not opted in (webhook not called: baseline)', ns: uncovered, annotations: {} },
  ];
  const samples = kinds.map(() => [] as number[]);
  let n = 0;
  for (let i = 0; i < WARMUP + PODS; i++) {
    // Rotate the order each round: a create right after an injection shares the CPU with the
    // operator's reaction to it (status, RBAC); no kind should always pay for that.
    for (let j = 0; j < kinds.length; j++) {
      const k = (i + j) % kinds.length;
      const kind = kinds[k]!;
      const t0 = performance.now();
      const r = await cp.api('POST', `/api/v1/namespaces/${kind.ns}/pods`, podManifest(`p${n++}`, kind.annotations));
      const dt = performance.now() - t0;
      if (r.status !== 201) throw new Error(`pod create: HTTP ${r.status} ${r.text}`);
      if (i >= WARMUP) samples[k]!.push(dt);
      await new Promise((r) => setTimeout(r, 10)); // the pod's watch event reaches the operator
      await h.operator.idle();
    }
  }
  const admissions = await h.operator.metrics.admissionDuration.get();
  const podServer = admissions.values.filter((v) => v.labels.webhook === 'pods');
  const sum = podServer.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = podServer.find((v) => v.metricName?.endsWith('_count'))?.value ?? 1;

  // Policy change -> status, seen on a watch as any client (kubectl get -w) would see it.
  const kc = parseKubeconfig(readFileSync(cp.kubeconfigPath, 'utf8'), dirname(cp.kubeconfigPath));
  const client = new KubeClient(kc);
  const watch = new Informer<PolicyObject>(client, { resource: POLICIES, namespace: covered, fieldSelector: 'metadata.name=eu' });
  let waiter: { generation: number; resolve: () => void } | undefined;
  const check = (p: PolicyObject): void => {
    if (waiter && (p.status?.observedGeneration ?? 0) >= waiter.generation) waiter.resolve();
  };
  watch.addHandler({ onAdd: check, onUpdate: check });
  watch.start();
  await watch.waitForSync();
  const statusMs: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const t0 = performance.now();
    const seen = new Promise<void>((resolve) => (waiter = { generation: Infinity, resolve }));
    const r = await cp.api('PATCH', `/apis/mcpresidency.io/v1alpha1/namespaces/${covered}/mcpresidencypolicies/eu`,
      { spec: { tools: { default: 'allow', rules: [{ name: `bench_${i}_*`, action: 'deny' }] } } }, { contentType: 'application/merge-patch+json' });
    if (r.status !== 200) throw new Error(`policy patch: ${r.text}`);
    waiter!.generation = (r.body as PolicyObject).metadata.generation ?? 0;
    const current = watch.get(`${covered}/eu`);
    if (current) check(current);
    await seen;
    statusMs.push(performance.now() - t0);
  }
  await watch.stop();
  client.close();

  for (const xs of [...samples, statusMs]) xs.sort((a, b) => a - b);
  const v = cp.binaries.versions;
  console.log(`operator benchmarks: kube-apiserver ${v.kubernetes}, etcd ${v.etcd}, Node ${process.version}${quick ? ' (quick)' : ''}`);
  console.log(`\npod create latency through the real API server (client-side; ${PODS} creates of each kind, one at a time, interleaved; after ${WARMUP} warm-up rounds)`);
  console.log(`  ${''.padEnd(46)}     p50        p99       mean`);
  for (const [k, kind] of kinds.entries()) {
    const xs = samples[k]!;
    console.log(`  ${kind.label.padEnd(46)} ${ms(percentile(xs, 50))}  ${ms(percentile(xs, 99))}  ${ms(xs.reduce((a, b) => a + b, 0) / xs.length)}`);
  }
  const base = percentile(samples[2]!, 50);
  console.log(`  webhook overhead at p50: +${(percentile(samples[0]!, 50) - base).toFixed(1)} ms injecting, +${(percentile(samples[1]!, 50) - base).toFixed(1)} ms passing through`);
  console.log(`  operator-side time per pod review (mean, from the admission histogram): ${((sum / count) * 1000).toFixed(2)} ms`);
  console.log(`\npolicy change -> status update (PATCH sent to observedGeneration seen on a watch, ${CHANGES} changes)`);
  console.log(`  p50 ${ms(percentile(statusMs, 50))}   p99 ${ms(percentile(statusMs, 99))}   max ${ms(Math.max(...statusMs))}`);
} finally {
  await h.stop();
  await stopControlPlane();
}
