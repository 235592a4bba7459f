// A stopping sidecar ships its backlog while its grace period lasts, and whatever it could not
// ship is counted and reported, never lost silently with the pod's emptyDir.
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { readAuditRecords } from '../../sidecar/audit/layout.ts';
import { eventually, runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';
import { IKEY } from './support/helpers.ts';
import { IngestionServer } from './support/ingestion.ts';

const policy = `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: shipped }
spec:
  authentication: { mode: none }
  audit: { azureMonitor: { connectionStringSecret: { name: appinsights, key: connectionString } } }
`;

describe('audit shipping at shutdown', function () {
  this.timeout(30_000);
  let server: RunningSampleServer;
  let ingestion: IngestionServer;
  let sut: SidecarUnderTest;

  beforeEach(async () => {
    server = await startSampleServer('stateless');
    ingestion = await IngestionServer.start();
  });
  afterEach(async () => {
    await rm(sut.dir, { recursive: true, force: true });
    await Promise.all([server.close(), ingestion.close()]);
  });

  const start = async (drainMs: number): Promise<void> => {
    sut = await runSidecar({
      upstream: server.origin,
      policy,
      secrets: { appinsights: { connectionString: `InstrumentationKey=${IKEY};IngestionEndpoint=https://ingestion.invalid/` } },
      shipping: { exporterOptions: { host: ingestion.url, allowInsecureConnection: true }, tuning: { backoff: { initialMs: 20, maxMs: 100 }, pollIntervalMs: 20, requestTimeoutMs: 2000 } },
      shutdownDrainMs: drainMs,
    });
    await waitReady(sut.sidecar);
  };
  const calls = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${sut.sidecar.urls.mcp}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/list', params: {} }),
      });
      await res.arrayBuffer();
    }
  };
  const gauge = async (): Promise<string> => (await sut.sidecar.metrics.registry.getSingleMetricAsString('mcp_residency_audit_unshipped_at_shutdown_records')).split('\n').pop()!;

  it('keeps shipping after the stop signal until the backlog is gone', async () => {
    await start(20_000);
    await ingestion.down();
    await calls(3);
    await eventually('a backlog', async () => ((await sut.sidecar.metrics.registry.getSingleMetricAsString('mcp_residency_audit_backlog_records')).endsWith(' 0') ? undefined : true));
    const closing = sut.sidecar.close();
    await ingestion.up();
    await closing;
    const records = await readAuditRecords(sut.auditDir);
    expect(new Set(ingestion.acceptedSeqs())).to.deep.equal(new Set(records.map((r) => r.seq)));
    expect(await gauge()).to.equal('mcp_residency_audit_unshipped_at_shutdown_records 0');
    expect(sut.logs()).to.not.include('audit records not shipped at shutdown');
  });

  it('counts and reports, with the seq range, what it could not ship before its time ran out', async () => {
    await start(200);
    await ingestion.down();
    await calls(4);
    await sut.sidecar.close();
    const records = await readAuditRecords(sut.auditDir);
    const unshipped = records.filter((r) => !ingestion.acceptedSeqs().includes(r.seq));
    expect(unshipped.length).to.be.greaterThan(3);
    expect(await gauge()).to.equal(`mcp_residency_audit_unshipped_at_shutdown_records ${unshipped.length}`);
    const line = sut.logs().split('\n').find((l) => l.includes('audit records not shipped at shutdown'))!;
    const entry = JSON.parse(line) as { records: number; fromSeq: number; toSeq: number };
    expect(entry).to.include({ records: unshipped.length, fromSeq: unshipped[0]!.seq, toSeq: unshipped.at(-1)!.seq });
  });
});
