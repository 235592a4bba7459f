// The sidecar as `mcp-residency sidecar` assembles it: both gateways and the admin port share
// one policy and one audit chain.
import { expect } from 'chai';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { verifyAuditDir } from '../../sidecar/audit/verify.ts';
import { IKEY } from '../audit/support/helpers.ts';
import { IngestionServer } from '../audit/support/ingestion.ts';
import { postMcp } from '../support/mcp-client.ts';
import { runSidecar, eventually, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const policy = `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: assembled }
spec:
  authentication: { mode: none }
  egress:
    allowedRegions: [eu]
    upstreams:
      - { name: openai-us, url: "https://us.api.openai.com", region: openai-us, credential: { secretName: openai, key: api-key, scheme: Bearer } }
`;

describe('the assembled sidecar', () => {
  let server: RunningSampleServer;
  let sut: SidecarUnderTest;
  let activity = 0;
  before(async () => {
    server = await startSampleServer('stateless');
    sut = await runSidecar({ upstream: server.origin, policy, secrets: { openai: { 'api-key': 'sk-test-not-real-0123456789' } }, onActivity: () => activity++ });
    await waitReady(sut.sidecar);
  });
  after(async () => {
    await sut.close();
    await server.close();
  });

  it('serves the egress gateway: a call to a region outside the allow-list gets 403, recorded in the same chain', async () => {
    const res = await fetch(`${sut.sidecar.urls.egress}/openai-us/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi, I am jane.doe@example.com' }] }),
    });
    expect(res.status).to.equal(403);
    const body = JSON.stringify(await res.json());
    expect(body).to.include('"destination":"us.api.openai.com"').and.to.include('"region":"openai-us"').and.to.include('"allowedRegions":["eu"]');
    expect(body).to.not.include('sk-test-not-real');

    await postMcp(`${sut.sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    const records = await sut.records();
    expect(records.map((r) => r.kind)).to.include.members(['egress', 'mcp']);
    const egress = records.find((r) => r.kind === 'egress')!;
    expect(egress).to.include({ decision: 'deny', upstream: 'openai-us', region: 'openai-us' });
    expect((await verifyAuditDir(sut.auditDir)).ok).to.equal(true);
    expect(await sut.auditBytes()).to.not.include('sk-test-not-real');
  });

  it('reports every part on /readyz and the egress metrics on /metrics', async () => {
    const metrics = await (await fetch(`${sut.sidecar.urls.admin}/metrics`)).text();
    expect(metrics).to.match(/mcp_residency_requests_total\{kind="egress",decision="deny"\} 1/);
  });

  it('tells the idle memory reclaim when a request arrives and when its answer ends, on both gateways', async () => {
    // Last: its egress call would change the counts the tests before it read.
    const start = activity;
    await postMcp(`${sut.sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    await eventually('two activity calls', () => (activity - start === 2 ? true : undefined));
    expect(activity - start).to.equal(2);
    await (await fetch(`${sut.sidecar.urls.egress}/openai-us/v1/models`)).text();
    await eventually('four activity calls', () => (activity - start === 4 ? true : undefined));
    expect(activity - start).to.equal(4);
  });
});

describe('the assembled sidecar ships its audit log when the policy says so', () => {
  it('starts shipping from the policy Secret, delivers masked records, and stops when the policy drops it', async function () {
    this.timeout(30_000);
    const ingestion = await IngestionServer.start();
    const server = await startSampleServer('stateless');
    const shipped = `${policy}  audit:\n    azureMonitor: { connectionStringSecret: { name: appinsights, key: connectionString } }\n`;
    const sut = await runSidecar({
      upstream: server.origin,
      policy: shipped,
      secrets: { appinsights: { connectionString: `InstrumentationKey=${IKEY};IngestionEndpoint=${ingestion.url}/` } },
      shipping: { exporterOptions: { host: ingestion.url, allowInsecureConnection: true }, tuning: { pollIntervalMs: 50, backoff: { initialMs: 50, maxMs: 200 } } },
    });
    try {
      await waitReady(sut.sidecar);
      const res = await postMcp(`${sut.sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_customer', arguments: { id: '42' } } });
      expect(res.status).to.equal(200);
      const written = await sut.records();
      await eventually('all records shipped', () => (ingestion.acceptedSeqs().length >= written.length ? true : undefined), 15_000);
      expect(ingestion.acceptedSeqs()).to.include.members(written.map((r) => r.seq));
      const bodies = ingestion.requests.map((r) => r.raw).join('\n');
      expect(bodies).to.include('[EMAIL]').and.to.not.include('jane.doe@example.com');
      expect(JSON.stringify(sut.sidecar.readiness.report().checks.shipping)).to.include('shipping');

      await sut.writePolicy(policy); // no more azureMonitor
      await eventually('shipping stopped', () => (JSON.stringify(sut.sidecar.readiness.report().checks.shipping).includes('no Azure Monitor configured') ? true : undefined));
    } finally {
      await sut.close();
      await server.close();
      await ingestion.close();
    }
  });
});

describe('Secrets rotate under a running sidecar', () => {
  it('picks up a rotated masking key, and a key that appears after the policy, without a restart', async function () {
    this.timeout(20_000);
    const server = await startSampleServer('stateless');
    const pseudonymize = `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: rotating }
spec:
  authentication: { mode: none }
  masking: { mode: pseudonymize, keySecret: { name: masking-key, key: key } }
`;
    // The Secret is not mounted yet: the policy cannot be enforced, so everything is refused.
    const sut = await runSidecar({ upstream: server.origin, policy: pseudonymize });
    const call = async (): Promise<{ status: number; text: string }> => {
      const res = await postMcp(`${sut.sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'get_customer', arguments: { id: '42' } } });
      return { status: res.status, text: await res.text() };
    };
    const emailToken = (text: string): string | undefined => /\[EMAIL_([0-9a-f]{8})\]/u.exec(text)?.[1];
    try {
      const refused = await call();
      expect(refused.status).to.equal(503);
      expect(refused.text).to.include('cannot read secret masking-key/key');
      const secretDir = join(sut.dir, 'secrets', 'masking-key');
      await mkdir(secretDir, { recursive: true });
      await writeFile(join(secretDir, 'key'), 'first-key-0123456789abcdef');
      const first = await eventually('the key was picked up', async () => {
        const r = await call();
        return r.status === 200 ? emailToken(r.text) : undefined;
      });
      // kubelet swaps mounted Secret files atomically; so do we.
      await writeFile(join(secretDir, 'key.new'), 'second-key-fedcba9876543210');
      await rename(join(secretDir, 'key.new'), join(secretDir, 'key'));
      const second = await eventually('the rotated key was picked up', async () => {
        const t = emailToken((await call()).text);
        return t !== undefined && t !== first ? t : undefined;
      });
      expect(second).to.not.equal(first);
    } finally {
      await sut.close();
      await server.close();
    }
  });
});
