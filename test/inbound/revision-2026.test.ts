// The 2026-07-28 revision through the sidecar: Mcp-Param-* headers must match the body,
// per-caller tool lists are cacheScope "private", tasks are bound to the principal that created
// them, input_required results and subscriptions/listen streams are masked and filtered, and
// server/discover passes. The v2 SDK speaks this revision (Mcp-Param headers, input_required,
// server/discover) and is used for those; no SDK speaks the tasks extension's server side or
// subscriptions/listen with task and tool content, so those run as raw JSON-RPC against a small
// server written from the revision's text (research/protocols.md).
import { expect } from 'chai';
import http from 'node:http';
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';
import { startConformanceServer, type RunningConformanceServer } from '../support/conformance-server.ts';
import { ALICE, AUDIENCE, BOB, crmPolicy } from '../support/crm.ts';
import { postMcp } from '../support/mcp-client.ts';
import { startModernServer } from '../support/modern-server.ts';
import { listenLoopback } from '../support/net.ts';
import { startIssuer, type TestIssuer } from '../support/oidc.ts';
import { eventually, runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const V = '2026-07-28';
const meta = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {}, sampling: {}, roots: {} } };
const headersFor = (method: string, name?: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'mcp-protocol-version': V,
  'mcp-method': method,
  ...(name !== undefined ? { 'mcp-name': name } : {}),
  ...extra,
});
const rpc = (id: number, method: string, params: Record<string, unknown> = {}): Record<string, unknown> => ({ jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } });

interface Reply {
  status: number;
  body: { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } };
}
async function call(url: string, body: unknown, headers: Record<string, string>): Promise<Reply> {
  const res = await postMcp(url, body, headers);
  const text = await res.text();
  // A request-scoped SSE answer: the last message is the response.
  const json = res.headers.get('content-type')?.startsWith('text/event-stream') ? text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).pop() ?? '{}' : text;
  return { status: res.status, body: JSON.parse(json) as Reply['body'] };
}

const OPEN_POLICY = `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: open }
spec:
  authentication: { mode: none }
  masking: { mode: redact }
`;

describe('2026-07-28 through the sidecar', () => {
  describe('Mcp-Param-* headers, server/discover, input_required (v2 SDK)', () => {
    let server: RunningConformanceServer;
    let sut: SidecarUnderTest;
    let url: string;
    before(async () => {
      server = await startConformanceServer();
      sut = await runSidecar({ upstream: server.origin, policy: OPEN_POLICY });
      await waitReady(sut.sidecar);
      url = `${sut.sidecar.urls.mcp}/mcp`;
    });
    after(async () => {
      await sut.close();
      await server.close();
    });

    it('lets the v2 SDK call a tool whose argument travels in an Mcp-Param header', async () => {
      const client = new V2Client({ name: 'params', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
      await client.connect(new V2Transport(new URL(url)));
      try {
        expect((await client.listTools()).tools.map((t) => t.name)).to.include('test_custom_headers');
        const r = (await client.callTool({ name: 'test_custom_headers', arguments: { region: 'ops@example.com' } })) as { content: { text: string }[] };
        expect(r.content[0]!.text).to.equal('region [EMAIL]');
      } finally {
        await client.close();
      }
    });

    const customCall = (id: number, region: string): Record<string, unknown> => rpc(id, 'tools/call', { name: 'test_custom_headers', arguments: { region } });
    const cases: { name: string; header: Record<string, string>; reason: RegExp }[] = [
      { name: 'a value that differs from the body', header: { 'mcp-param-region': 'other@example.com' }, reason: /the Mcp-Param-region header does not match the argument "region"/u },
      { name: 'a missing header while the body has the argument', header: {}, reason: /the Mcp-Param-region header is required/u },
      { name: 'invalid base64', header: { 'mcp-param-region': '=?base64?SGVs!!!bG8=?=' }, reason: /not valid =\?base64\?/u },
    ];
    for (const c of cases) {
      it(`refuses ${c.name} like an Mcp-Method mismatch, and audits it without the values`, async () => {
        const r = await call(url, customCall(31, 'ops@example.com'), headersFor('tools/call', 'test_custom_headers', c.header));
        expect(r.status).to.equal(400);
        expect(r.body.error?.code).to.equal(-32020);
        expect(r.body.id).to.equal(31);
        expect(r.body.error?.message).to.match(c.reason);
        const rec = await eventually('the refusal record', async () => (await sut.records()).find((x) => c.reason.test(x.reason ?? '')));
        expect(rec).to.include({ decision: 'deny', status: 400, requestId: 31 });
        const bytes = await sut.auditBytes();
        expect(bytes).to.not.include('ops@example.com');
        expect(bytes).to.not.include('other@example.com');
      });
    }

    it('accepts a base64-wrapped header equal to the body', async () => {
      const value = Buffer.from('Grüße', 'utf8').toString('base64');
      const r = await call(url, customCall(32, 'Grüße'), headersFor('tools/call', 'test_custom_headers', { 'mcp-param-region': `=?base64?${value}?=` }));
      expect(r.status).to.equal(200);
      expect(r.body.result?.content).to.deep.equal([{ type: 'text', text: 'region Grüße' }]);
    });

    it('refuses Mcp-* headers on a batch (they describe one message)', async () => {
      const batch = [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { jsonrpc: '2.0', id: 2, method: 'ping' }];
      const r = await call(url, batch, { 'mcp-protocol-version': '2025-03-26', 'mcp-method': 'tools/list' });
      expect(r.status).to.equal(400);
      expect(r.body.error?.code).to.equal(-32020);
    });

    it('passes server/discover', async () => {
      const r = await call(url, rpc(33, 'server/discover'), headersFor('server/discover'));
      expect(r.status).to.equal(200);
      expect(r.body.result?.supportedVersions).to.include(V);
    });

    it('passes input_required rounds with requestState intact (v2 SDK client)', async () => {
      const first = await call(url, rpc(34, 'tools/call', { name: 'test_input_required_result_request_state', arguments: {} }), headersFor('tools/call', 'test_input_required_result_request_state'));
      expect(first.body.result?.resultType).to.equal('input_required');
      const state = first.body.result?.requestState as string;
      const second = await call(
        url,
        rpc(35, 'tools/call', { name: 'test_input_required_result_request_state', arguments: {}, inputResponses: { confirm: { action: 'accept', content: { ok: true } } }, requestState: state }),
        headersFor('tools/call', 'test_input_required_result_request_state'),
      );
      expect(second.body.result?.content).to.deep.equal([{ type: 'text', text: 'state-ok: confirmed' }]);
    });
  });

  describe('cacheScope of per-caller tool lists', () => {
    it('marks a tools/list result "private" when the policy filters per caller, and leaves it alone otherwise', async () => {
      const issuer = await startIssuer([BOB]);
      const server = await startModernServer();
      const perCaller = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer) });
      const conformance = await startConformanceServer();
      const open = await runSidecar({ upstream: conformance.origin, policy: OPEN_POLICY });
      try {
        await waitReady(perCaller.sidecar);
        await waitReady(open.sidecar);
        const token = await issuer.token(BOB, { resource: AUDIENCE });
        const filtered = await call(`${perCaller.sidecar.urls.mcp}/mcp`, rpc(41, 'tools/list'), headersFor('tools/list', undefined, { authorization: `Bearer ${token}` }));
        expect(filtered.body.result?.cacheScope).to.equal('private');
        const shared = await call(`${open.sidecar.urls.mcp}/mcp`, rpc(42, 'tools/list'), headersFor('tools/list'));
        expect(shared.body.result?.cacheScope).to.equal('public');
      } finally {
        await open.close();
        await conformance.close();
        await perCaller.close();
        await server.close();
        await issuer.close();
      }
    });
  });

  describe('tasks, input_required filtering and subscriptions/listen (raw JSON-RPC)', () => {
    let issuer: TestIssuer;
    let upstream: { origin: string; close(): Promise<void> };
    const seen: string[] = [];
    let sut: SidecarUnderTest;
    let url: string;
    let alice: string;
    let bob: string;

    before(async () => {
      issuer = await startIssuer([ALICE, BOB]);
      upstream = await listenLoopback(http.createServer((req, res) => void tasksServer(req, res, seen)));
      sut = await runSidecar({ upstream: upstream.origin, policy: crmPolicy(issuer.issuer) });
      await waitReady(sut.sidecar);
      url = `${sut.sidecar.urls.mcp}/mcp`;
      alice = `Bearer ${await issuer.token(ALICE, { resource: AUDIENCE })}`;
      bob = `Bearer ${await issuer.token(BOB, { resource: AUDIENCE })}`;
    });
    after(async () => {
      await sut.close();
      await upstream.close();
      await issuer.close();
    });

    const as = (who: string, method: string, name?: string): Record<string, string> => headersFor(method, name, { authorization: who });
    const createTask = async (id: number): Promise<string> => {
      const r = await call(url, rpc(id, 'tools/call', { name: 'get_customer', arguments: { id: '42' }, task: {} }), as(alice, 'tools/call', 'get_customer'));
      return (r.body.result?.task as { taskId: string }).taskId;
    };

    it("binds a task to its creator: another principal gets the server's answer for an unknown task, and the real id never reaches it", async () => {
      const taskId = await createTask(51);
      const unknown = await call(url, rpc(53, 'tasks/get', { taskId: 'task-never-made' }), as(alice, 'tasks/get'));
      expect(unknown.body.error).to.deep.equal({ code: -32602, message: 'Unknown task' });
      for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
        const before = seen.length;
        const stolen = await call(url, rpc(52, method, { taskId }), as(bob, method));
        expect(stolen.body.error, method).to.deep.equal(unknown.body.error);
        expect(seen.slice(before), method).to.have.length(1);
        expect(seen.slice(before)[0], method).to.match(new RegExp(`^${method} mcp-residency-unknown-`, 'u'));
      }
      const records = await sut.records();
      const stolen = records.filter((r) => r.reason?.startsWith('the task belongs to another principal') && r.principal.sub === 'bob');
      expect(stolen.map((r) => r.decision)).to.deep.equal(['deny', 'deny', 'deny']);
      expect(JSON.stringify(stolen.map((r) => r.payload))).to.include(taskId);
      expect(records.some((r) => r.reason?.startsWith('unknown task'))).to.equal(true);
    });

    it('masks a task result as a tool result for its owner', async () => {
      const taskId = await createTask(54);
      const r = await call(url, rpc(55, 'tasks/result', { taskId }), as(alice, 'tasks/result'));
      expect(JSON.stringify(r.body.result)).to.include('[EMAIL]').and.not.include('jane.doe@example.com');
      expect((r.body.result?._meta as Record<string, unknown>)['io.modelcontextprotocol/related-task']).to.deep.equal({ taskId });
    });

    it('does not let a task reach a tool the policy now denies (cancelling stays possible)', async () => {
      const taskId = await createTask(56);
      await sut.writePolicy(crmPolicy(issuer.issuer).replace('- { name: "delete_*", action: deny }', '- { name: "get_*", action: deny }'));
      try {
        const denied = await eventually('the new policy', async () => {
          const r = await call(url, rpc(57, 'tasks/result', { taskId }), as(alice, 'tasks/result'));
          return r.body.error?.code === -31001 ? r : undefined;
        });
        expect(denied.body.error?.message).to.include('denied the tool "get_customer"');
        const cancel = await call(url, rpc(58, 'tasks/cancel', { taskId }), as(alice, 'tasks/cancel'));
        expect(cancel.body.error).to.equal(undefined);
      } finally {
        await sut.writePolicy(crmPolicy(issuer.issuer));
        await eventually('the policy restored', async () => {
          const r = await call(url, rpc(61, 'tools/call', { name: 'get_customer', arguments: { id: '42' }, task: {} }), as(alice, 'tools/call', 'get_customer'));
          return r.body.error === undefined ? true : undefined;
        });
      }
    });

    it('filters hidden tools out of an input_required sampling request and masks it, keeping requestState', async () => {
      const r = await call(url, rpc(59, 'tools/call', { name: 'plan_outreach', arguments: {} }), as(bob, 'tools/call', 'plan_outreach'));
      expect(r.body.result?.resultType).to.equal('input_required');
      expect(r.body.result?.requestState).to.equal('state:jane.doe@example.com');
      const sampling = (r.body.result?.inputRequests as Record<string, { params: { tools: { name: string }[]; messages: unknown[] } }>).draft!;
      expect(sampling.params.tools.map((t) => t.name)).to.deep.equal(['get_customer']);
      expect(JSON.stringify(sampling.params.messages)).to.include('[EMAIL]').and.not.include('jane.doe@example.com');
    });

    it('masks a subscriptions/listen stream event by event, keeping the subscription id and resource URIs', async () => {
      const res = await postMcp(url, rpc(60, 'subscriptions/listen', { filter: { resources: true } }), as(bob, 'subscriptions/listen'));
      expect(res.headers.get('content-type')).to.match(/^text\/event-stream/u);
      const events = (await res.text()).split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { method?: string; params?: Record<string, unknown> });
      const updated = events.find((e) => e.method === 'notifications/resources/updated')!;
      expect(updated.params?.uri).to.equal('crm://customers/jane.doe@example.com');
      expect((updated.params?._meta as Record<string, unknown>)['io.modelcontextprotocol/subscriptionId']).to.equal('sub-7');
      const log = events.find((e) => e.method === 'notifications/message')!;
      expect(JSON.stringify(log.params)).to.include('[EMAIL]').and.not.include('jane.doe@example.com');
    });
  });
});

/** Task ids the raw server below has handed out. */
const CREATED = new Set<string>();

/**
 * A small 2026-07-28 server speaking the tasks extension and subscriptions/listen as raw
 * JSON-RPC: no SDK serves these shapes yet. `seen` lists every method it was sent.
 */
async function tasksServer(req: http.IncomingMessage, res: http.ServerResponse, seen: string[]): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number; method: string; params?: Record<string, unknown> };
  const taskId = m.params?.taskId as string | undefined;
  seen.push(taskId === undefined ? m.method : `${m.method} ${taskId}`);
  const send = (body: Record<string, unknown>): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, ...body }));
  const reply = (result: Record<string, unknown>): void => send({ result });
  if (taskId !== undefined && !CREATED.has(taskId)) return send({ error: { code: -32602, message: 'Unknown task' } });
  switch (m.method) {
    case 'tools/call':
      if (m.params?.name === 'plan_outreach') {
        return reply({
          resultType: 'input_required',
          requestState: 'state:jane.doe@example.com',
          inputRequests: {
            draft: {
              method: 'sampling/createMessage',
              params: {
                messages: [{ role: 'user', content: { type: 'text', text: 'Write to jane.doe@example.com' } }],
                maxTokens: 100,
                tools: [{ name: 'get_customer', inputSchema: { type: 'object' } }, { name: 'delete_customer', inputSchema: { type: 'object' } }],
              },
            },
          },
        });
      }
      CREATED.add(`task-${String(m.id)}`);
      return reply({ task: { taskId: `task-${String(m.id)}`, status: 'working', createdAt: new Date().toISOString(), ttl: 60_000 } });
    case 'tasks/get':
      return reply({ taskId, status: 'completed', createdAt: new Date().toISOString(), ttl: 60_000 });
    case 'tasks/result':
      return reply({ content: [{ type: 'text', text: 'jane.doe@example.com' }], _meta: { 'io.modelcontextprotocol/related-task': { taskId } } });
    case 'tasks/cancel':
      return reply({ taskId, status: 'cancelled', createdAt: new Date().toISOString(), ttl: 60_000 });
    case 'subscriptions/listen': {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const sub = { 'io.modelcontextprotocol/subscriptionId': 'sub-7' };
      const send = (msg: Record<string, unknown>): boolean => res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n\n`);
      send({ method: 'notifications/subscriptions/acknowledged', params: { _meta: sub } });
      send({ method: 'notifications/resources/updated', params: { uri: 'crm://customers/jane.doe@example.com', _meta: sub } });
      send({ method: 'notifications/message', params: { level: 'info', data: 'jane.doe@example.com changed', _meta: sub } });
      res.end();
      return;
    }
    default:
      return reply({});
  }
}
