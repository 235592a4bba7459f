// In a cluster, what a stopping sidecar could not ship becomes a Warning Event on its pod,
// created with the sidecar's own service account and exactly the Role the operator grants.
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { desiredBinding, desiredRole } from '../../operator/reconcile/rbac.ts';
import { startSidecar } from '../../sidecar/main.ts';
import { UNSHIPPED_REASON } from '../../sidecar/audit/unshipped.ts';
import { useControlPlane, tokenKubeconfig, type ControlPlane } from '../support/controlplane.ts';
import { memoryLogger } from '../support/log.ts';
import { eventually, waitReady } from '../support/sidecar.ts';
import { IKEY } from './support/helpers.ts';
import { IngestionServer } from './support/ingestion.ts';

describe('unshipped audit records at shutdown, as an Event @cluster', function () {
  this.timeout(60_000);
  const cluster = useControlPlane();
  let cp: ControlPlane;
  let dir: string;
  let server: RunningSampleServer;
  let ingestion: IngestionServer;

  before(async () => {
    cp = cluster();
    dir = await mkdtemp(join(tmpdir(), 'mrp-unshipped-'));
    server = await startSampleServer('stateless');
    ingestion = await IngestionServer.start();
    await ingestion.down();
  });
  after(async () => {
    await Promise.all([server?.close(), ingestion?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the count and seq range on the pod', async () => {
    const ns = await cp.newNamespace('unshipped');
    const role = desiredRole(ns, 'mcp-residency-sidecar');
    await cp.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', ...role });
    const binding = desiredBinding(ns, 'mcp-residency-sidecar', ['default']);
    await cp.api('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', ...binding });
    await cp.apply(`apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm, namespace: ${ns} }
spec:
  authentication: { mode: none }
  audit: { azureMonitor: { connectionStringSecret: { name: appinsights, key: connectionString } } }
`);
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, tokenKubeconfig(cp, await cp.tokenFor(ns, 'default'), { namespace: ns }));
    await mkdir(join(dir, 'secrets', 'appinsights'), { recursive: true });
    await writeFile(join(dir, 'secrets', 'appinsights', 'connectionString'), `InstrumentationKey=${IKEY};IngestionEndpoint=https://ingestion.invalid/`);
    const { logger } = memoryLogger();
    const sidecar = await startSidecar(
      {
        policyRef: { namespace: ns, name: 'crm' },
        kubeconfig,
        podName: 'crm-0',
        upstream: new URL(server.origin),
        listen: { host: '127.0.0.1', port: 0 },
        egressListen: { host: '127.0.0.1', port: 0 },
        adminListen: { host: '127.0.0.1', port: 0 },
        auditDir: join(dir, 'audit'),
        secretsDir: join(dir, 'secrets'),
        shutdownDrainMs: 200,
      },
      { logger, shipping: { exporterOptions: { host: ingestion.url, allowInsecureConnection: true }, tuning: { backoff: { initialMs: 20, maxMs: 100 }, pollIntervalMs: 20 } } },
    );
    await waitReady(sidecar, 15_000);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${sidecar.urls.mcp}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/list', params: {} }),
      });
      await res.arrayBuffer();
    }
    await sidecar.close();
    const event = await eventually('the Event', async () => {
      const r = await cp.kubectl(['get', 'events', '-n', ns, '--field-selector', `reason=${UNSHIPPED_REASON}`, '-o', 'json']);
      return (JSON.parse(r.stdout) as { items: { type: string; message: string; involvedObject: { kind: string; name: string } }[] }).items[0];
    });
    expect(event.type).to.equal('Warning');
    expect(event.involvedObject).to.include({ kind: 'Pod', name: 'crm-0' });
    expect(event.message).to.match(/^\d+ audit records \(seq 1\.\.\d+\) were not acknowledged by Azure Monitor when the sidecar stopped/u);
    const [, count, to] = /^(\d+) audit records \(seq 1\.\.(\d+)\)/u.exec(event.message)!;
    expect(Number(count)).to.be.greaterThan(2);
    expect(Number(to)).to.equal(Number(count));
  });
});
