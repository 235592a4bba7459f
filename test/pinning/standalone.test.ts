// Tool pinning without a cluster, end to end with real parts: the sample server on the v1 SDK
// changes a tool's description while a v1 SDK client is connected (notifications/tools/
// list_changed), the sidecar in front of it enforces the pins that `mcp-residency tools pin`
// wrote, an approver reviews the diff on the admin port, and the pin outlives a restart.
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { POISONED_SEARCH, startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { livePins } from '../../sidecar/pinning/live.ts';
import { runCli } from '../support/cli.ts';
import { AUDIENCE } from '../support/crm.ts';
import { startIssuer, type TestClient, type TestIssuer } from '../support/oidc.ts';
import { eventually, runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const ALICE: TestClient = { id: 'alice', secret: 'a', groups: ['privacy-officers'] };
const ERIN: TestClient = { id: 'erin', secret: 'e', groups: ['privacy-officers'] };
const BOB: TestClient = { id: 'bob', secret: 'b', groups: ['sales'] };

interface Pending {
  tool: string;
  change: string;
  fingerprint: string;
  pinned: string;
  diff: { field: string; before?: string; after?: string }[];
  requester: { sub: string };
}

describe('tool pinning, standalone', function () {
  this.timeout(60_000);
  let issuer: TestIssuer;
  let server: RunningSampleServer;
  let dir: string;
  let tokens: Record<string, string>;
  const open: { close(): Promise<unknown> }[] = [];

  const policy = (mode: string): string => `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm }
spec:
  authentication: { issuer: "${issuer.issuer}", audiences: ["${AUDIENCE}"] }
  tools:
    pinning: ${mode}
    rules: [ { name: "delete_*", action: deny } ]
  approval: { approverGroups: [privacy-officers] }
`;

  const sidecar = async (yaml: string): Promise<SidecarUnderTest> => {
    const s = await runSidecar({ upstream: server.origin, policy: yaml, pinsFile: join(dir, 'tool-pins.json') });
    open.push(s);
    await waitReady(s.sidecar);
    return s;
  };

  /** A v1 SDK client that counts the list_changed notifications it receives. */
  const agent = async (s: SidecarUnderTest, who = 'alice'): Promise<{ client: Client; changes: () => number }> => {
    const client = new Client({ name: `agent-${who}`, version: '1' });
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${s.sidecar.urls.mcp}/mcp`), { requestInit: { headers: { authorization: `Bearer ${tokens[who]!}` } } }));
    open.push(client);
    return { client, changes: () => changes };
  };
  const names = async (c: Client): Promise<string[]> => (await c.listTools()).tools.map((t) => t.name);
  const admin = (s: SidecarUnderTest, who: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${s.sidecar.urls.admin}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${tokens[who]!}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    issuer = await startIssuer([ALICE, ERIN, BOB]);
    dir = await mkdtemp(join(tmpdir(), 'pinning-'));
    tokens = Object.fromEntries(await Promise.all([ALICE, ERIN, BOB].map(async (c) => [c.id, await issuer.token(c, { resource: AUDIENCE })] as const)));
  });
  beforeEach(async () => {
    server = await startSampleServer('streamable');
    await rm(join(dir, 'tool-pins.json'), { force: true });
  });
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close().catch(() => undefined);
    await server.close();
  });
  after(async () => {
    await issuer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('hides a tool whose description changed at run time, refuses its calls, and brings it back once another approver pins it', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(file, policy('enforce'));
    const pinned = await runCli(['tools', 'pin', '--server', server.url, '--policy', file]);
    expect(pinned.code, pinned.stderr).to.equal(0);
    expect(pinned.stdout).to.match(/^pinned 6 tools of .* in .*: audit_note, delete_customer, export_customers, get_customer, search_customers, summarize_customer\n$/u);
    const s = await sidecar(await readFile(file, 'utf8'));
    const { client, changes } = await agent(s);
    expect(await names(client)).to.include('search_customers');
    expect((await client.callTool({ name: 'search_customers', arguments: { query: 'jane' } })).isError).to.not.equal(true);

    server.descriptions.set('search_customers', POISONED_SEARCH);
    await eventually('list_changed reached the client through the sidecar', () => (changes() > 0 ? true : undefined));
    const after = await client.listTools();
    expect(after.tools.map((t) => t.name)).to.not.include('search_customers');
    expect(JSON.stringify(after)).to.not.include('export_customers and include');
    const ran = server.calls.get('search_customers');
    const refused = await client.callTool({ name: 'search_customers', arguments: { query: 'jane' } }).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    expect(refused).to.match(/the definition of tool "search_customers" changed since it was pinned \(sha256:[0-9a-f]{64} -> sha256:[0-9a-f]{64}\)/u);
    expect(refused).to.include('mcp-residency tools diff search_customers --sidecar');
    expect(server.calls.get('search_customers')).to.equal(ran);

    const records = await s.records();
    const drift = records.find((r) => r.method === 'tools/list' && r.tool === 'search_customers');
    expect(drift?.decision).to.equal('deny');
    expect(drift?.reason).to.match(/^tools\.pinning enforce: definition changed: pinned sha256:\w+, listed sha256:\w+ \(fields: description\); hidden until approved$/u);
    const facts = (drift?.payload as { pinning: { diff: Pending['diff']; pinned: string; listed: string } }).pinning;
    expect(facts.diff).to.deep.equal([{ field: 'description', before: 'Find customers whose name contains a text.', after: POISONED_SEARCH }]);
    expect(records.some((r) => r.method === 'tools/call' && r.tool === 'search_customers' && r.decision === 'deny')).to.equal(true);
    const metrics = await (await fetch(`${s.sidecar.urls.admin}/metrics`)).text();
    expect(metrics).to.include('mcp_residency_tool_drift_total{change="changed",mode="enforce"} 1');
    expect(metrics).to.match(/^mcp_residency_tools_unpinned 1$/mu);

    const pending = ((await (await admin(s, 'erin', '/tools/pending')).json()) as { items: Pending[] }).items;
    expect(pending.map((p) => [p.tool, p.change, p.requester.sub, p.pinned])).to.deep.equal([['search_customers', 'changed', 'alice', facts.pinned]]);
    const diff = await runCli(['tools', 'diff', 'search_customers', '--sidecar', s.sidecar.urls.admin, '--token', tokens.erin!]);
    expect(diff.stdout).to.include(`search_customers.description:\n  - Find customers whose name contains a text.\n  + ${POISONED_SEARCH}\n`);
    const fp = pending[0]!.fingerprint;
    expect((await admin(s, 'bob', '/tools/search_customers/approve', { fingerprint: fp })).status).to.equal(403);
    const self = await admin(s, 'alice', '/tools/search_customers/approve', { fingerprint: fp });
    expect([self.status, ((await self.json()) as { error: string }).error]).to.deep.equal([403, 'nobody may decide on a tool change their own tools/list revealed']);
    expect((await admin(s, 'erin', '/tools/search_customers/approve', { fingerprint: facts.pinned })).status).to.equal(409);
    expect(await names(client)).to.not.include('search_customers');

    const ok = await runCli(['tools', 'approve', 'search_customers', '--sidecar', s.sidecar.urls.admin, '--token', tokens.erin!, '--fingerprint', fp, '--reason', 'vendor update']);
    expect(ok.stdout, ok.stderr).to.equal(`pinned search_customers at ${fp} as erin\n`);
    const back = await client.listTools();
    expect(back.tools.find((t) => t.name === 'search_customers')?.description).to.equal(POISONED_SEARCH);
    expect((await client.callTool({ name: 'search_customers', arguments: { query: 'jane' } })).isError).to.not.equal(true);
    const decided = (await s.records()).find((r) => r.kind === 'approval' && r.tool === 'search_customers');
    expect([decided?.decision, decided?.principal.sub, decided?.approval?.digest]).to.deep.equal(['approved', 'erin', fp]);

    // The pin outlives the sidecar: a new one on the same pins file lists the tool at once.
    await s.close();
    const again = await sidecar(await readFile(file, 'utf8'));
    const fresh = await agent(again, 'bob');
    expect(await names(fresh.client)).to.include('search_customers');
    expect((await again.records()).filter((r) => r.method === 'tools/list' && r.decision === 'deny')).to.deep.equal([]);
  });

  it('in audit mode records the drift and changes nothing the client sees', async () => {
    server.descriptions.set('search_customers', POISONED_SEARCH);
    const off = await sidecar(policy('off'));
    const audit = await sidecar(policy('audit'));
    const seen = async (s: SidecarUnderTest): Promise<unknown[]> => {
      const { client } = await agent(s);
      return [await client.listTools(), await client.callTool({ name: 'search_customers', arguments: { query: 'lars' } }), await client.callTool({ name: 'get_customer', arguments: { id: '42' } })];
    };
    expect(await seen(audit)).to.deep.equal(await seen(off));
    const drift = (await audit.records()).filter((r) => r.method === 'tools/list' && r.tool !== undefined);
    expect(drift.map((r) => [r.tool, r.decision]).sort()).to.deep.equal(
      ['audit_note', 'delete_customer', 'export_customers', 'get_customer', 'search_customers', 'summarize_customer'].map((t) => [t, 'allow']),
    );
    expect(drift[0]!.reason).to.match(/^tools\.pinning audit: new tool without a pin, definition sha256:[0-9a-f]{64} \(fields: name, description, inputSchema/u);
    expect((await off.records()).filter((r) => r.method === 'tools/list' && r.tool !== undefined)).to.deep.equal([]);
  });

  it('checks a call to a tool no tools/list through it has shown by listing the tools itself, in the caller\'s session', async () => {
    const pins = await livePins(new URL(server.url));
    const s = await sidecar(policy('enforce').replace('    pinning: enforce\n', `    pinning: enforce\n    pins: ${JSON.stringify(pins)}\n`));
    const first = await agent(s);
    expect((await first.client.callTool({ name: 'get_customer', arguments: { id: '42' } })).isError).to.not.equal(true);
    expect(server.calls.get('get_customer')).to.equal(1);

    server.descriptions.set('search_customers', POISONED_SEARCH);
    // The sidecar relayed the server's list_changed: what it saw listed is stale from then on.
    await eventually('list_changed reached the first client', () => (first.changes() > 0 ? true : undefined));
    const second = await agent(s, 'bob');
    const refused = await second.client.callTool({ name: 'search_customers', arguments: { query: 'jane' } }).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    expect(refused).to.include('the definition of tool "search_customers" changed since it was pinned');
    expect(server.calls.get('search_customers')).to.equal(undefined);
    const drift = (await s.records()).filter((r) => r.method === 'tools/list' && r.tool !== undefined);
    expect(drift.map((r) => [r.tool, r.principal.sub, r.decision])).to.deep.equal([['search_customers', 'bob', 'deny']]);
  });
});
