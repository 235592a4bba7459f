// `mcp-residency inject -f`: the webhook's injection, offline, for every kind that holds a pod.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import type { Container, Pod } from '../../kube/core.ts';
import { runCli } from '../support/cli.ts';
import { goldenDir, settings } from './support.ts';

const policyFile = join(goldenDir, 'policy.yaml');
// The golden files use the test settings, which keep the operator's earlier 64Mi memory request.
const asTest = ['--sidecar-image', settings.sidecar.image, '--sidecar-memory-request', '64Mi', '--policy', policyFile, '-n', 'agents'];
const template = { metadata: { labels: { app: 'crm' }, annotations: { 'mcpresidency.io/policy': 'eu-crm' } }, spec: { containers: [{ name: 'server', image: 'crm:1', ports: [{ containerPort: 8080 }] }] } };
const workloads = [
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'agents' }, spec: { selector: { matchLabels: { app: 'crm' } }, template } },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { serviceName: 's', selector: { matchLabels: { app: 'crm' } }, template } },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { selector: { matchLabels: { app: 'crm' } }, template } },
  { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } } } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'untouched' }, data: { a: 'b' } },
];

const initNames = (spec: { initContainers?: Container[] }): string[] => (spec.initContainers ?? []).map((c) => c.name);
const docsOf = (text: string): Record<string, unknown>[] => parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
type Workload = { kind: string; spec: { template: { spec: Pod['spec'] } } };

describe('mcp-residency inject -f', () => {
  it('gives a Pod exactly the golden (webhook) injection', async () => {
    const r = await runCli(['inject', '-f', join(goldenDir, 'deployment-pod.in.yaml'), ...asTest]);
    expect(r.code, r.stderr).to.equal(0);
    expect(parse(r.stdout)).to.deep.equal(parse(readFileSync(join(goldenDir, 'deployment-pod.injected.yaml'), 'utf8')));
  });

  it('injects Deployment, StatefulSet, DaemonSet and Job templates in multi-document YAML, read from stdin', async () => {
    const r = await runCli(['inject', '-f', '-', ...asTest], { input: workloads.map((w) => stringify(w)).join('---\n') });
    expect(r.code, r.stderr).to.equal(0);
    const out = docsOf(r.stdout);
    expect(out.map((d) => d.kind)).to.deep.equal(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ConfigMap']);
    for (const d of out.slice(0, 4) as unknown as Workload[]) expect(initNames(d.spec.template.spec), d.kind).to.deep.equal(['mcp-residency-init', 'mcp-residency-proxy']);
    expect(out[4]).to.deep.equal(workloads[4]);
    // The init container's command is the one a pod runs (the netns tests run it too).
    const init = (out[0] as unknown as Workload).spec.template.spec.initContainers![0]!;
    expect(init.args).to.deep.equal(['capture', 'apply', '--mcp-port', '8080', '--sidecar-uid', '65532', '--inbound-port', '15080', '--egress-port', '15082']);
    expect(init.securityContext!.capabilities).to.deep.equal({ add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] });
    // injecting the output again changes nothing
    const again = await runCli(['inject', '-f', '-', ...asTest], { input: r.stdout });
    expect(docsOf(again.stdout)).to.deep.equal(out);
  });

  it('injects the items of a List and passes --capture-inside to the init container', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: workloads.slice(0, 2) };
    const r = await runCli(['inject', '-f', '-', ...asTest, '--capture-inside', '10.96.0.0/12,fd00::/8'], { input: stringify(list) });
    expect(r.code, r.stderr).to.equal(0);
    const items = (parse(r.stdout) as { items: Workload[] }).items;
    expect(items.map((i) => initNames(i.spec.template.spec))).to.deep.equal([['mcp-residency-init', 'mcp-residency-proxy'], ['mcp-residency-init', 'mcp-residency-proxy']]);
    expect(items[0]!.spec.template.spec.initContainers![0]!.args!.slice(-4)).to.deep.equal(['--inside', '10.96.0.0/12', '--inside', 'fd00::/8']);
  });

  it('refuses, like the webhook, a pod a restricted namespace would reject, saying why and what to do', async () => {
    const ns = (level: string, label = 'enforce'): string => stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'agents', labels: { [`pod-security.kubernetes.io/${label}`]: level } } });
    const deploy = stringify(workloads[0]);
    const refused = await runCli(['inject', '-f', '-', ...asTest], { input: `${ns('restricted')}---\n${deploy}` });
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('document 2 (Deployment d)');
    expect(refused.stderr).to.include('pod-security.kubernetes.io/enforce=restricted, which forbids the capabilities NET_ADMIN and NET_RAW');
    expect(refused.stderr).to.include('mcpresidency.io/capture: "false"');
    expect(refused.stderr).to.include('CNI plugin');

    const warned = await runCli(['inject', '-f', '-', ...asTest], { input: `${ns('baseline', 'warn')}---\n${deploy}` });
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.stderr).to.match(/^warning: document 2 \(Deployment d\): namespace agents has pod-security.kubernetes.io\/warn=baseline/mu);

    const optOut = structuredClone(workloads[0]) as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    optOut.spec.template.metadata.annotations['mcpresidency.io/capture'] = 'false';
    const out = await runCli(['inject', '-f', '-', ...asTest], { input: `${ns('restricted')}---\n${stringify(optOut)}` });
    expect(out.code, out.stderr).to.equal(0);
    expect(initNames((docsOf(out.stdout)[1] as unknown as Workload).spec.template.spec)).to.deep.equal(['mcp-residency-proxy']);
  });

  it('names the document and the reason when a pod cannot be injected', async () => {
    const noPolicy = await runCli(['inject', '-f', join(goldenDir, 'deployment-pod.in.yaml')]);
    expect(noPolicy.code).to.equal(1);
    expect(noPolicy.stderr).to.include('document 1 (Pod)');
    expect(noPolicy.stderr).to.include('pass --policy FILE');
    const bad = structuredClone(workloads[0]) as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    bad.spec.template.metadata.annotations['mcpresidency.io/capture'] = 'maybe';
    const r = await runCli(['inject', '-f', '-', ...asTest], { input: stringify(bad) });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('mcpresidency.io/capture is "maybe"');
    const missing = await runCli(['inject', '-f', '/nonexistent.yaml']);
    expect(missing.stderr).to.include('/nonexistent.yaml: no such file');
  });
});
