// Workload identity stays with the sidecar: whichever of AKS's webhook and ours runs first, the
// app containers end up without the AZURE_* variables and the token mount.
import { expect } from 'chai';
import type { Container, Pod } from '../../kube/core.ts';
import { SIDECAR_CONTAINER } from '../../operator/inject/constants.ts';
import { injectPod } from '../../operator/inject/inject.ts';
import { WI_SKIP_ANNOTATION, WI_TOKEN_DIR } from '../../operator/inject/workload-identity.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import { goldenPolicy, settings } from './support.ts';

const wiEnv = [
  { name: 'AZURE_CLIENT_ID', value: '5f2a0c1e-1111-4a4a-9b9b-0123456789ab' },
  { name: 'AZURE_TENANT_ID', value: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
  { name: 'AZURE_FEDERATED_TOKEN_FILE', value: `${WI_TOKEN_DIR}/azure-identity-token` },
  { name: 'AZURE_AUTHORITY_HOST', value: 'https://login.microsoftonline.com/' },
];
const wiMount = { name: 'azure-identity-token', mountPath: WI_TOKEN_DIR, readOnly: true };

function withWorkloadIdentity(): ResolvedPolicy {
  const p = goldenPolicy();
  return { ...p, audit: { ...p.audit, azureMonitor: { connectionStringSecret: { name: 'appinsights', key: 'connectionString' }, authentication: 'workloadIdentity' } } };
}

function pod(azureFirst: boolean, grace?: number): Pod {
  const app: Container = { name: 'server', image: 'crm:1', ports: [{ containerPort: 8080 }], ...(azureFirst ? { env: [{ name: 'LOG', value: '1' }, ...wiEnv], volumeMounts: [wiMount] } : {}) };
  return {
    metadata: { name: 'crm-0', namespace: 'agents', labels: { 'azure.workload.identity/use': 'true' }, annotations: { 'mcpresidency.io/policy': 'crm' } },
    spec: { containers: [app], ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}) },
  };
}

const sidecarOf = (p: Pod): Container => p.spec.initContainers!.find((c) => c.name === SIDECAR_CONTAINER)!;

describe('injector: workload identity for the sidecar only', () => {
  it("names every container but the sidecar (the app, the capture init container) in Azure's skip-containers annotation when ours runs first", () => {
    const r = injectPod(pod(false), 'agents', withWorkloadIdentity(), settings);
    if (!r.ok) throw new Error(r.message);
    expect(r.pod.metadata.annotations?.[WI_SKIP_ANNOTATION]).to.equal('mcp-residency-init;server');
    expect(r.pod.spec.containers[0]!.env?.some((e) => e.name.startsWith('AZURE_')) ?? false).to.equal(false);
  });

  it("moves what Azure's webhook gave the app to the sidecar when it ran first, and keeps it on a second pass", () => {
    const first = injectPod(pod(true), 'agents', withWorkloadIdentity(), settings);
    if (!first.ok) throw new Error(first.message);
    const app = first.pod.spec.containers[0]!;
    expect(app.env?.filter((e) => e.name.startsWith('AZURE_') || e.name === 'LOG')).to.deep.equal([{ name: 'LOG', value: '1' }]);
    expect(app.volumeMounts).to.equal(undefined);
    const check = (p: Pod): void => {
      const sidecar = sidecarOf(p);
      for (const e of wiEnv) expect(sidecar.env).to.deep.include(e);
      expect(sidecar.volumeMounts).to.deep.include(wiMount);
    };
    check(first.pod);
    const second = injectPod(first.pod, 'agents', withWorkloadIdentity(), settings);
    if (!second.ok) throw new Error(second.message);
    check(second.pod);
    expect(second.pod).to.deep.equal(first.pod);
  });

  it('leaves a pod alone when the policy does not use workload identity', () => {
    const r = injectPod(pod(true), 'agents', goldenPolicy(), settings);
    if (!r.ok) throw new Error(r.message);
    expect(r.pod.metadata.annotations?.[WI_SKIP_ANNOTATION]).to.equal(undefined);
    expect(r.pod.spec.containers[0]!.env).to.deep.include(wiEnv[0]);
  });

  it("gives the sidecar the pod's grace period, less 10 s, to ship its audit backlog", () => {
    const r = injectPod(pod(false, 120), 'agents', goldenPolicy(), settings);
    if (!r.ok) throw new Error(r.message);
    expect(sidecarOf(r.pod).env).to.deep.include({ name: 'MCP_RESIDENCY_SHUTDOWN_DRAIN_SECONDS', value: '110' });
  });
});
