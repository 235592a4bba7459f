// bench/propagation: how long a policy change takes to reach a running sidecar. The sidecar
// watches its MCPResidencyPolicy on the test control plane (a real kube-apiserver + etcd, as
// the tests use); each round `kubectl apply`s an edit that flips whether get_customer is
// denied, then polls the sidecar until a request is decided by the new policy. Printed over
// 50 changes, p50 and p99 of:
//   apply -> decision   from the moment `kubectl apply` returned (the API server has it)
//   kubectl -> decision from the moment `kubectl apply` was started (what a user waits)
// Goal (issue 8): within 2 seconds.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { startSampleServer } from '../../demo/sample-server.ts';
import { silentLogger } from '../../lib/log.ts';
import { startSidecar } from '../../sidecar/main.ts';
import { getControlPlane, stopControlPlane } from '../../test/support/controlplane.ts';
import { postMcp } from '../../test/support/mcp-client.ts';
import { percentile } from '../lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);

const policy = (ns: string, deny: boolean): string => `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm, namespace: ${ns} }
spec:
  authentication: { mode: none }
  tools:
    rules:
      - { name: "${deny ? 'get_*' : 'delete_*'}", action: deny }
`;

console.error('==> starting the test control plane');
const cp = await getControlPlane();
const server = await startSampleServer('stateless');
const dir = await mkdtemp(join(os.tmpdir(), 'bench-propagation-'));
try {
  const ns = await cp.newNamespace('propagation');
  await cp.apply(policy(ns, false));
  const sidecar = await startSidecar(
    {
      policyRef: { namespace: ns, name: 'crm' },
      kubeconfig: cp.kubeconfigPath,
      upstream: new URL(server.origin),
      listen: { host: '127.0.0.1', port: 0 },
      egressListen: { host: '127.0.0.1', port: 0 },
      adminListen: { host: '127.0.0.1', port: 0 },
      auditDir: join(dir, 'audit'),
    },
    { logger: silentLogger },
  );
  const getCustomerVisible = async (): Promise<boolean> => {
    const res = await postMcp(`${sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    const body = (await res.json()) as { result?: { tools: { name: string }[] } };
    return body.result?.tools.some((t) => t.name === 'get_customer') ?? false;
  };
  while (!(await getCustomerVisible())) await new Promise((r) => setTimeout(r, 20));

  const fromApply: number[] = [];
  const fromKubectl: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const deny = i % 2 === 0;
    const t0 = performance.now();
    const r = await cp.kubectl(['apply', '-f', '-'], { input: policy(ns, deny) });
    const t1 = performance.now();
    if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
    for (;;) {
      if ((await getCustomerVisible()) === !deny) break;
      if (performance.now() - t1 > 10_000) throw new Error(`round ${i}: the change did not arrive within 10 s`);
    }
    const t2 = performance.now();
    fromApply.push(t2 - t1);
    fromKubectl.push(t2 - t0);
  }
  await sidecar.close();

  fromApply.sort((a, b) => a - b);
  fromKubectl.sort((a, b) => a - b);
  const f = (ms: number): string => `${ms.toFixed(1)} ms`;
  console.log(`bench/propagation: ${ROUNDS} policy changes, ${os.cpus().length} cores, Node ${process.version}, Kubernetes ${cp.binaries.versions.kubernetes}`);
  console.log(`  apply -> first request decided by the new policy:   p50 ${f(percentile(fromApply, 50))}, p99 ${f(percentile(fromApply, 99))}, max ${f(Math.max(...fromApply))}`);
  console.log(`  kubectl started -> first request decided by it:     p50 ${f(percentile(fromKubectl, 50))}, p99 ${f(percentile(fromKubectl, 99))}`);
  console.log(`  goal: within 2000 ms; p99 is ${(percentile(fromApply, 99) / 2000).toFixed(3)} of it`);
} finally {
  await server.close();
  await stopControlPlane();
}
