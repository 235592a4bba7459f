// Tool pinning in the 2026-07-28 revision (v2 SDK server and client, no sessions, Mcp-* headers)
// and for task-augmented calls: a call made through a task names its tool like any tools/call,
// so it meets the same pin check before the server sees it.
import { expect } from 'chai';
import { livePins } from '../../sidecar/pinning/live.ts';
import type { RunningSampleServer } from '../../demo/sample-server.ts';
import { AUDIENCE, BOB } from '../support/crm.ts';
import { connectClient, postMcp, type McpTestClient } from '../support/mcp-client.ts';
import { startModernServer } from '../support/modern-server.ts';
import { startIssuer, type TestIssuer } from '../support/oidc.ts';
import { runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

describe('tool pinning, 2026-07-28 and tasks', function () {
  this.timeout(30_000);
  let issuer: TestIssuer;
  let server: RunningSampleServer;
  let sut: SidecarUnderTest;
  let token: string;
  let client: McpTestClient;

  before(async () => {
    issuer = await startIssuer([BOB]);
    token = await issuer.token(BOB, { resource: AUDIENCE });
    server = await startModernServer();
    // Pinned as reviewed, except get_customer, whose pin is for some other definition.
    const pins = (await livePins(new URL(server.url))).map((p) => (p.name === 'get_customer' ? { ...p, fingerprint: `sha256:${'0'.repeat(64)}` } : p));
    sut = await runSidecar({
      upstream: server.origin,
      policy: `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm }
spec:
  authentication: { issuer: "${issuer.issuer}", audiences: ["${AUDIENCE}"] }
  tools: { pinning: enforce, pins: ${JSON.stringify(pins)} }
`,
    });
    await waitReady(sut.sidecar);
    client = await connectClient('modern', `${sut.sidecar.urls.mcp}/mcp`, token);
  });
  after(async () => {
    await client?.close();
    await sut?.close();
    await server?.close();
    await issuer?.close();
  });

  it('hides the drifted tool from a v2 client and refuses its calls, direct or through a task', async () => {
    expect(await client.listTools()).to.deep.equal(['delete_customer', 'export_customers']);
    const direct = await client.callTool('get_customer', { id: '42' }).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    expect(direct).to.include(`the definition of tool "get_customer" changed since it was pinned (sha256:${'0'.repeat(64)} -> sha256:`);
    const viaTask = await postMcp(
      `${sut.sidecar.urls.mcp}/mcp`,
      {
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'get_customer', arguments: { id: '42' }, task: { ttl: 60_000 }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
      },
      { authorization: `Bearer ${token}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get_customer' },
    );
    const body = (await viaTask.json()) as { error?: { code: number; message: string } };
    expect(body.error?.code).to.equal(-31001);
    expect(body.error?.message).to.include('the definition of tool "get_customer" changed since it was pinned');
    expect(server.calls.get('get_customer') ?? 0).to.equal(0);
    const pinned = await client.callTool('delete_customer', { id: '43' });
    expect(pinned.content[0]?.text).to.equal('deleted 43');
    const records = await sut.records();
    expect(records.filter((r) => r.tool === 'get_customer').map((r) => [r.method, r.decision])).to.deep.equal([
      ['tools/list', 'deny'],
      ['tools/call', 'deny'],
      ['tools/call', 'deny'],
    ]);
  });
});
