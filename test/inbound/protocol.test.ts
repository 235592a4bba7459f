// Protocol details and failure behaviour of the inbound gateway: decisions are taken on the
// body, never on headers; everything the server sends is masked; and when something is
// wrong (no policy, server down, body too big, client gone) the answer is prompt and clear.
import { expect } from 'chai';
import http from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { unlink } from 'node:fs/promises';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { ALICE, AUDIENCE, BOB, crmPolicy, expectNoRawValues } from '../support/crm.ts';
import { connectClient, postMcp, type McpTestClient } from '../support/mcp-client.ts';
import { startModernServer } from '../support/modern-server.ts';
import { startIssuer, type TestIssuer } from '../support/oidc.ts';
import { eventually, runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

interface RpcReply {
  status: number;
  body: { error?: { code: number; message: string }; result?: unknown } & Record<string, unknown>;
}

async function rpc(url: string, body: unknown, headers: Record<string, string>): Promise<RpcReply> {
  const res = await postMcp(url, body, headers);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as RpcReply['body']) : {} };
}

describe('inbound gateway: protocol and robustness', () => {
  let issuer: TestIssuer;
  let bobToken: string;
  before(async () => {
    issuer = await startIssuer([ALICE, BOB]);
    bobToken = await issuer.token(BOB, { resource: AUDIENCE });
  });
  after(() => issuer.close());

  describe('2026-07-28 headers', () => {
    let server: RunningSampleServer;
    let sut: SidecarUnderTest;
    before(async () => {
      server = await startModernServer();
      sut = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer) });
      await waitReady(sut.sidecar);
    });
    after(async () => {
      await sut.close();
      await server.close();
    });

    const call = (tool: string) => ({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: tool, arguments: { id: '42' }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
    });

    it('refuses a request whose Mcp-Name disagrees with the body, before the server sees it', async () => {
      const r = await rpc(`${sut.sidecar.urls.mcp}/mcp`, call('delete_customer'), {
        authorization: `Bearer ${bobToken}`,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'get_customer',
      });
      expect(r.status).to.equal(400);
      expect(r.body.error?.code).to.equal(-32020);
      expect(r.body.error?.message).to.include('the Mcp-Name header says "get_customer" but the body names "delete_customer"');
      expect(server.calls.get('delete_customer') ?? 0).to.equal(0);
    });

    it('requires Mcp-Method in the 2026-07-28 era', async () => {
      const r = await rpc(`${sut.sidecar.urls.mcp}/mcp`, call('get_customer'), { authorization: `Bearer ${bobToken}`, 'mcp-protocol-version': '2026-07-28' });
      expect(r.status).to.equal(400);
      expect(r.body.error?.message).to.include('the Mcp-Method header is required');
    });

    it('refuses a protocol-version header that differs from the body', async () => {
      const r = await rpc(`${sut.sidecar.urls.mcp}/mcp`, call('get_customer'), {
        authorization: `Bearer ${bobToken}`,
        'mcp-protocol-version': '2025-11-25',
        'mcp-method': 'tools/call',
        'mcp-name': 'get_customer',
      });
      expect(r.status).to.equal(400);
      expect(r.body.error?.message).to.include('differs from _meta protocolVersion');
    });

    it('decides on the body even when the headers agree with a denied call', async () => {
      const r = await rpc(`${sut.sidecar.urls.mcp}/mcp`, call('delete_customer'), {
        authorization: `Bearer ${bobToken}`,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'delete_customer',
      });
      expect(r.status).to.equal(200);
      expect(r.body.error?.message).to.include('denied the tool "delete_customer"');
      expect(server.calls.get('delete_customer') ?? 0).to.equal(0);
    });
  });

  describe('Streamable HTTP server', () => {
    let server: RunningSampleServer;
    let sut: SidecarUnderTest;
    let client: McpTestClient;
    before(async () => {
      server = await startSampleServer('streamable');
      sut = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer), limits: { maxRequestBytes: 64 * 1024 } });
      await waitReady(sut.sidecar);
      client = await connectClient('streamable', `${sut.sidecar.urls.mcp}/mcp`, bobToken);
    });
    after(async () => {
      await client.close();
      await sut.close();
      await server.close();
    });
    const url = (): string => `${sut.sidecar.urls.mcp}/mcp`;
    const session = (): Record<string, string> => ({ authorization: `Bearer ${bobToken}`, 'mcp-session-id': client.sessionId!, 'mcp-protocol-version': '2025-03-26' });

    it('masks log notifications the server sends while a tool runs', async () => {
      await client.callTool('audit_note', { id: '42', note: 'call back on +49 30 901820' });
      const logs = JSON.stringify(client.logs);
      expect(logs).to.include('[EMAIL]').and.to.include('[PHONE]');
      expectNoRawValues(logs, 'log notifications');
    });

    it('masks sampling requests from the server to the client', async () => {
      const result = await client.callTool('summarize_customer', { id: '42' });
      expect(result.content[0]!.text).to.equal('summary: a loyal customer');
      const sent = JSON.stringify(client.samplingRequests);
      expect(sent).to.include('[IBAN]');
      expectNoRawValues(sent, 'the sampling request');
      const record = (await sut.records()).find((r) => r.method === 'sampling/createMessage');
      expect(record?.principal.sub).to.equal('bob');
    });

    it('masks resource contents and prompt messages', async () => {
      const resource = await client.readResource('crm://customers/42');
      expectNoRawValues(JSON.stringify(resource), 'the resource');
      expect(resource.contents[0]!.text).to.include('[EMAIL]');
      const prompt = await client.getPrompt('draft_email', { id: '43' });
      expectNoRawValues(JSON.stringify(prompt), 'the prompt');
      expect(prompt.messages[0]!.content.text).to.include('[CREDIT_CARD]');
    });

    it('masks tool arguments in the audit record, but passes them to the server intact', async () => {
      const result = await client.callTool('search_customers', { query: 'jane.doe@example.com is not a name' });
      expect(result.content[0]!.text).to.equal('no match');
      const record = (await sut.records()).filter((r) => r.tool === 'search_customers').at(-1);
      expect(JSON.stringify(record?.payload)).to.include('[EMAIL] is not a name');
      expect(await sut.auditBytes()).to.not.include('jane.doe@example.com');
    });

    it('refuses batches in protocol versions that removed them', async () => {
      const r = await rpc(url(), [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }], { ...session(), 'mcp-protocol-version': '2025-06-18' });
      expect(r.status).to.equal(400);
      expect(r.body.error?.message).to.include('batches are not part of protocol version 2025-06-18');
    });

    it('inspects a 2025-03-26 batch message by message and sends none of it if one is denied', async () => {
      const before = server.calls.get('get_customer') ?? 0;
      const r = await rpc(
        url(),
        [
          { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'get_customer', arguments: { id: '42' } } },
          { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'delete_customer', arguments: { id: '42' } } },
        ],
        session(),
      );
      expect(r.status).to.equal(200);
      const replies = r.body as unknown as { id: string; error: { message: string } }[];
      expect(replies.map((x) => x.id).sort()).to.deep.equal(['a', 'b']);
      expect(replies.find((x) => x.id === 'b')?.error.message).to.include('denied the tool "delete_customer"');
      expect(replies.find((x) => x.id === 'a')?.error.message).to.include('not sent: another call in the same batch was refused');
      expect(server.calls.get('get_customer') ?? 0).to.equal(before);
      expect(server.calls.get('delete_customer') ?? 0).to.equal(0);
    });

    it('answers malformed bodies with JSON-RPC errors', async () => {
      expect((await rpc(url(), '{not json', session())).body.error?.code).to.equal(-32700);
      expect((await rpc(url(), { jsonrpc: '1.0', id: 1, method: 'x' }, session())).body.error?.message).to.include('jsonrpc must be "2.0"');
      expect((await rpc(url(), [], session())).body.error?.message).to.include('empty batch');
    });

    it('refuses bodies over the size limit with 413', async () => {
      const big = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search_customers', arguments: { query: 'x'.repeat(100 * 1024) } } };
      const r = await rpc(url(), big, session());
      expect(r.status).to.equal(413);
    });

    it('refuses methods that are not MCP', async () => {
      const res = await fetch(url(), { method: 'PUT', headers: { authorization: `Bearer ${bobToken}` } });
      expect(res.status).to.equal(405);
    });

    it('exposes the contract metrics and readiness on the admin port', async () => {
      const metrics = await (await fetch(`${sut.sidecar.urls.admin}/metrics`)).text();
      expect(metrics).to.match(/mcp_residency_requests_total\{kind="mcp",decision="allow"\} \d+/);
      expect(metrics).to.match(/mcp_residency_requests_total\{kind="mcp",decision="deny"\} \d+/);
      expect(metrics).to.match(/mcp_residency_masked_total\{type="EMAIL"\} \d+/);
      expect(metrics).to.include('mcp_residency_request_duration_seconds_bucket');
      const readyz = await fetch(`${sut.sidecar.urls.admin}/readyz`);
      expect(readyz.status).to.equal(200);
      expect(((await readyz.json()) as { checks: Record<string, unknown> }).checks).to.have.keys('policy', 'jwks', 'audit', 'shipping');
      expect((await fetch(`${sut.sidecar.urls.admin}/healthz`)).status).to.equal(200);
    });
  });

  describe('connection limits', () => {
    let sut: SidecarUnderTest;
    const seen: http.IncomingHttpHeaders[] = [];
    let upstream: http.Server;
    before(async () => {
      upstream = http.createServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('id: 8\nevent: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"mail bob@example.org"}}\n\n');
        res.end();
      });
      await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
      sut = await runSidecar({
        upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        policy: crmPolicy(issuer.issuer),
        limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, maxHeaderBytes: 4096 },
      });
      await waitReady(sut.sidecar);
    });
    after(async () => {
      await sut.close();
      upstream.closeAllConnections();
      upstream.close();
    });

    it('drops a client that sends its headers too slowly', async () => {
      const port = Number(new URL(sut.sidecar.urls.mcp).port);
      const socket = connect(port, '127.0.0.1');
      socket.write('POST /mcp HTTP/1.1\r\nHost: x\r\n');
      const closedAfter = await new Promise<number>((resolve) => {
        const t0 = Date.now();
        socket.on('data', () => undefined);
        socket.on('close', () => resolve(Date.now() - t0));
      });
      expect(closedAfter).to.be.below(3000);
    });

    it('refuses oversized headers with 431', async () => {
      const res = await fetch(`${sut.sidecar.urls.mcp}/mcp`, { method: 'POST', headers: { 'x-big': 'y'.repeat(8000) }, body: '{}' });
      expect(res.status).to.equal(431);
    });

    it('passes Last-Event-ID through for stream resumption and masks the replayed events', async () => {
      const res = await fetch(`${sut.sidecar.urls.mcp}/mcp`, {
        headers: { authorization: `Bearer ${bobToken}`, accept: 'text/event-stream', 'last-event-id': '7' },
      });
      const body = await res.text();
      expect(seen.at(-1)?.['last-event-id']).to.equal('7');
      expect(body).to.include('id: 8').and.to.include('[EMAIL]').and.not.include('bob@example.org');
    });
  });

  describe('failures', () => {
    it('answers promptly with a JSON-RPC error when the MCP server is down', async () => {
      const dead = http.createServer();
      await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
      const port = (dead.address() as AddressInfo).port;
      await new Promise<void>((r) => dead.close(() => r()));
      const sut = await runSidecar({ upstream: `http://127.0.0.1:${port}`, policy: crmPolicy(issuer.issuer) });
      try {
        await waitReady(sut.sidecar);
        const started = Date.now();
        const r = await rpc(`${sut.sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { authorization: `Bearer ${bobToken}` });
        expect(r.status).to.equal(502);
        expect(r.body.error?.message).to.match(/MCP server at http:\/\/127\.0\.0\.1:\d+ is unreachable: ECONNREFUSED/);
        expect(r.body).to.include({ id: 3 });
        expect(Date.now() - started).to.be.below(5000);
        const record = (await sut.records()).find((x) => x.method === 'tools/list');
        expect(record?.decision).to.equal('error');
      } finally {
        await sut.close();
      }
    });

    it('cancels the upstream request when the client goes away', async () => {
      let upstreamClosed: () => void = () => undefined;
      const closed = new Promise<void>((r) => (upstreamClosed = r));
      const hanging = http.createServer((req) => {
        req.resume();
        req.socket.once('close', () => upstreamClosed());
      });
      await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
      const sut = await runSidecar({ upstream: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`, policy: crmPolicy(issuer.issuer) });
      try {
        await waitReady(sut.sidecar);
        const abort = new AbortController();
        const pending = fetch(`${sut.sidecar.urls.mcp}/mcp`, {
          method: 'POST',
          signal: abort.signal,
          headers: { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }),
        }).catch((err: Error) => err);
        await new Promise((r) => setTimeout(r, 100));
        abort.abort();
        await pending;
        await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('upstream request was not cancelled')), 3000))]);
      } finally {
        await sut.close();
        hanging.closeAllConnections();
        hanging.close();
      }
    });

    it('cancels the upstream answer when the client goes away while it streams', async () => {
      let upstreamClosed: () => void = () => undefined;
      const closed = new Promise<void>((r) => (upstreamClosed = r));
      const streaming = http.createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
        req.socket.once('close', () => upstreamClosed());
      });
      await new Promise<void>((r) => streaming.listen(0, '127.0.0.1', r));
      const sut = await runSidecar({ upstream: `http://127.0.0.1:${(streaming.address() as AddressInfo).port}`, policy: crmPolicy(issuer.issuer) });
      try {
        await waitReady(sut.sidecar);
        const abort = new AbortController();
        const res = await fetch(`${sut.sidecar.urls.mcp}/mcp`, {
          method: 'POST',
          signal: abort.signal,
          headers: { authorization: `Bearer ${bobToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }),
        });
        expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
        abort.abort();
        await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('upstream answer was not cancelled')), 3000))]);
      } finally {
        await sut.close();
        streaming.closeAllConnections();
        streaming.close();
      }
    });

    it('refuses every request, saying why, while the policy is invalid, and recovers when it is fixed', async () => {
      const server = await startSampleServer('stateless');
      const good = crmPolicy(issuer.issuer);
      const sut = await runSidecar({ upstream: server.origin, policy: good.replace('action: deny }', 'action: block }') });
      try {
        const r = await rpc(`${sut.sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, { authorization: `Bearer ${bobToken}` });
        expect(r.status).to.equal(503);
        expect(r.body.error?.message).to.match(/refuses every request: .*policy\.yaml is invalid: .*spec\.tools\.rules\[0\]\.action: "block" is not one of/);
        const readyz = (await (await fetch(`${sut.sidecar.urls.admin}/readyz`)).json()) as { ready: boolean; checks: { policy: { reason: string } } };
        expect(readyz.ready).to.equal(false);
        expect(readyz.checks.policy.reason).to.include('"block" is not one of');
        expect(await (await fetch(`${sut.sidecar.urls.admin}/metrics`)).text()).to.include('mcp_residency_policy_loaded 0');
        expect(server.calls.size).to.equal(0);

        await sut.writePolicy(good);
        await waitReady(sut.sidecar);
        const ok = await rpc(`${sut.sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 6, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }, { authorization: `Bearer ${bobToken}` });
        expect(ok.status).to.equal(200);

        await unlink(sut.policyFile);
        await eventually('refusing again', async () => ((await rpc(`${sut.sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 7, method: 'tools/list' }, { authorization: `Bearer ${bobToken}` })).status === 503 ? true : undefined));
      } finally {
        await sut.close();
        await server.close();
      }
    });

    it('refuses every request while the audit log cannot be written', async () => {
      const server = await startSampleServer('stateless');
      const sut = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer) });
      try {
        await waitReady(sut.sidecar);
        await sut.sidecar.audit.close(); // a closed log refuses appends, as a full disk would
        const r = await rpc(`${sut.sidecar.urls.mcp}/mcp`, { jsonrpc: '2.0', id: 8, method: 'tools/list' }, { authorization: `Bearer ${bobToken}` });
        expect(r.status).to.equal(503);
        expect(r.body.error?.message).to.include('the audit log is unavailable');
        expect(server.calls.size).to.equal(0);
      } finally {
        await sut.close();
        await server.close();
      }
    });
  });
});
