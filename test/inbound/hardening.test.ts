// Issue 19: the sidecar decides on exactly the bytes the other side will read, and fails
// closed on anything it cannot read. Each attack of the security review is a test here:
// requests against the official SDK server and a Go server that decodes like encoding/json,
// replies from a scripted hostile server. At the end the audit log must hold none of the raw
// values sent.
import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { BOB, AUDIENCE, crmPolicy } from '../support/crm.ts';
import { buildGoServer, startGoServer, type GoServer } from '../support/go-server.ts';
import { startHostileServer, type HostileServer } from '../support/hostile-server.ts';
import { connectClient } from '../support/mcp-client.ts';
import { startIssuer, type TestIssuer } from '../support/oidc.ts';
import { runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const EMAIL = 'jane.doe@example.com';
const CARD = '4111111111111111';
/** Every raw value the tests send; none may reach the audit log. */
const RAW = [EMAIL, CARD, '4111 1111 1111 1111', 'jane.doe%40example.com', 'jane.doe&#64;example.com', 'sess-jane.doe@example.com', 'delete_jane.doe@example.com'];

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: { id?: unknown; error?: { code: number; message: string }; result?: { tools?: { name: string }[] } } & Record<string, unknown>;
}

async function send(url: string, body: string | Buffer, headers: Record<string, string>, method = 'POST'): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    ...(method === 'POST' ? { body } : {}),
  });
  const text = await res.text();
  let json: Reply['json'] = {};
  try {
    json = JSON.parse(text) as Reply['json'];
  } catch {
    // an event stream or nothing
  }
  return { status: res.status, headers: res.headers, text, json };
}

const call = (name: unknown, extra = ''): string => `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":{"id":"42"}${extra}}}`;

/** The request attacks: each must be refused before the server reads a byte of it. */
const REQUEST_ATTACKS: { name: string; body: string | Buffer; says: string }[] = [
  { name: 'a case-folded "Name" beside "name" in params', body: call('get_customer', ',"Name":"delete_customer"'), says: 'differs from the protocol key "name" only in case' },
  {
    name: 'a case-folded "METHOD" beside "method"',
    body: '{"jsonrpc":"2.0","id":1,"method":"tools/list","METHOD":"tools/call","params":{"name":"delete_customer"}}',
    says: 'differs from the protocol key "method" only in case',
  },
  { name: 'a key Go folds with the long s ("argumentſ")', body: call('get_customer', ',"argument\u017f":{"id":"43"}'), says: 'differs from the protocol key "arguments"' },
  { name: 'duplicate keys (first and last wins disagree)', body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_customer","name":"get_customer"}}', says: 'duplicate key "name"' },
  { name: 'tools/call as a notification', body: '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"delete_customer","arguments":{"id":"42"}}}', says: 'cannot be sent as a notification' },
  {
    name: 'tools/call as a notification inside a batch',
    body: '[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","method":"tools/call","params":{"name":"delete_customer","arguments":{"id":"42"}}}]',
    says: 'message 1: "tools/call" is a request',
  },
  { name: 'a tool name that is an array', body: call(['delete_customer']), says: 'params.name of tools/call must be a string' },
  { name: 'a byte-order mark', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(call('delete_customer'))]), says: 'byte-order mark' },
  { name: 'bytes that are not UTF-8', body: Buffer.concat([Buffer.from(call('delete_customer').slice(0, -3)), Buffer.from([0xff]), Buffer.from('"}}')]), says: 'not valid UTF-8' },
  // A text that ends inside a number must end the reader too (it once looped there for ever).
  { name: 'a bare number', body: '4111', says: 'a JSON-RPC message must be an object' },
  { name: 'a text that ends in a number', body: '{"jsonrpc":"2.0","id":1', says: 'expected "," or "}"' },
  { name: 'NaN', body: '{"jsonrpc":"2.0","id":NaN,"method":"tools/call","params":{"name":"delete_customer"}}', says: 'not a JSON value' },
];

describe('inbound hardening: nothing the sidecar cannot read gets through', function () {
  // The Go server is built on first use (about a minute on a cold cache); later runs reuse it.
  this.timeout(240_000);
  let issuer: TestIssuer;
  let token: string;
  let goBinary: string;
  const audits: SidecarUnderTest[] = [];
  before(async () => {
    issuer = await startIssuer([BOB]);
    token = await issuer.token(BOB, { resource: AUDIENCE });
    goBinary = await buildGoServer(200_000);
  });
  after(async () => {
    // Every raw value sent, across every sidecar of this file: none is on disk.
    for (const sut of audits) {
      const bytes = await sut.auditBytes();
      for (const raw of RAW) expect(bytes, `the audit log holds ${raw}`).to.not.include(raw);
      await sut.close();
    }
    await issuer.close();
  });
  const start = async (upstream: string): Promise<SidecarUnderTest> => {
    const sut = await runSidecar({ upstream, policy: crmPolicy(issuer.issuer) });
    audits.push(sut);
    await waitReady(sut.sidecar);
    return sut;
  };
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}`, 'mcp-protocol-version': '2025-03-26' });

  for (const target of ['the SDK server', 'a Go encoding/json server'] as const) {
    describe(`requests, against ${target}`, () => {
      let ran: () => Promise<string[]>;
      let close: () => Promise<void>;
      let sut: SidecarUnderTest;
      let go: GoServer | undefined;
      before(async () => {
        if (target === 'the SDK server') {
          const sdk: RunningSampleServer = await startSampleServer('stateless');
          ran = () => Promise.resolve([...sdk.calls.entries()].flatMap(([tool, n]) => Array<string>(n).fill(tool)));
          close = () => sdk.close();
          sut = await start(sdk.origin);
        } else {
          go = await startGoServer(goBinary);
          ran = async () => (await go!.seen()).calls;
          close = () => go!.close();
          sut = await start(go.origin);
        }
      });
      after(() => close());

      for (const attack of REQUEST_ATTACKS) {
        it(`refuses ${attack.name}, audited, and the server runs nothing`, async () => {
          const before = await ran();
          const r = await send(`${sut.sidecar.urls.mcp}/mcp`, attack.body, auth());
          expect(r.status).to.equal(400);
          expect(r.json.error?.message).to.include(attack.says);
          expect(await ran()).to.deep.equal(before);
          const records = await sut.records();
          expect(records.some((rec) => rec.decision === 'deny' && (rec.reason ?? '').includes(attack.says))).to.equal(true);
        });
      }

      it('still lets a clean call through, and the server reads the sidecar\'s own serialization', async () => {
        const body = '{ "jsonrpc" : "2.0", "id" : 1, "method" : "tools/call", "params" : { "name" : "get\\u005fcustomer", "arguments" : { "id" : "42" } } }';
        const r = await send(`${sut.sidecar.urls.mcp}/mcp`, body, auth());
        expect(r.status).to.equal(200);
        expect(await ran()).to.include('get_customer');
        if (go) expect((await go.seen()).bodies.at(-1)).to.equal('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_customer","arguments":{"id":"42"}}}');
      });

      it('masks a tool name with personal data in the audit record\'s tool field', async () => {
        const r = await send(`${sut.sidecar.urls.mcp}/mcp`, call('delete_jane.doe@example.com'), auth());
        expect(r.json.error?.code).to.equal(-31001);
        // The whole name is an e-mail address to the detector (underscores are allowed before the @).
        const denied = (await sut.records()).at(-1);
        expect(denied?.decision).to.equal('deny');
        expect(denied?.tool).to.equal('[EMAIL]');
        expect(denied?.reason).to.include('delete_*');
      });
    });
  }

  describe('replies, from a hostile server', () => {
    let hostile: HostileServer;
    let sut: SidecarUnderTest;
    const url = (): string => `${sut.sidecar.urls.mcp}/mcp`;
    const list = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';
    const TOOLS = { tools: [{ name: 'get_customer', inputSchema: { type: 'object' } }, { name: 'delete_customer', inputSchema: { type: 'object' } }] };
    /** A JSON reply carrying the e-mail and card only as \u escapes (a client's decoder reads them). */
    const escaped = (id: unknown): string => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"tools":[{"name":"delete_customer","description":"jane.doe\\u0040example.com 4111\\u00311111111111111","inputSchema":{"type":"object"}}]}}`;
    before(async () => {
      hostile = await startHostileServer();
      sut = await start(hostile.origin);
    });
    after(() => hostile.close());
    const withheldCount = async (reason: string): Promise<number> =>
      (await sut.sidecar.metrics.withheldReplies.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

    const unreadable: { name: string; contentType: string; body: Buffer | string; label: string; says: string }[] = [
      { name: 'a byte-order mark', contentType: 'application/json', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(escaped(1))]), label: 'not-json', says: 'byte-order mark' },
      { name: 'NaN', contentType: 'application/json', body: escaped(1).replace('"result"', '"n":NaN,"result"'), label: 'not-json', says: 'not a JSON value' },
      { name: 'UTF-16', contentType: 'application/json; charset=utf-16le', body: Buffer.from(escaped(1), 'utf16le'), label: 'content-type', says: 'charset utf-16le' },
      { name: 'text/json', contentType: 'text/json', body: escaped(1), label: 'content-type', says: 'content-type "text/json"' },
      { name: 'a duplicate key', contentType: 'application/json', body: escaped(1).replace('"id":1', '"id":1,"id":1'), label: 'not-json', says: 'duplicate key "id"' },
      { name: 'not JSON-RPC', contentType: 'application/json', body: '{"tools":[{"name":"delete_customer"}]}', label: 'not-jsonrpc', says: 'not JSON-RPC' },
    ];
    for (const u of unreadable) {
      it(`withholds a reply with ${u.name}: the client gets an error naming why, counted and audited`, async () => {
        hostile.script = (_req, _body, res) => void res.writeHead(200, { 'content-type': u.contentType }).end(u.body);
        const before = await withheldCount(u.label);
        const r = await send(url(), list, auth());
        expect(r.json.id).to.equal(1);
        expect(r.json.error?.message).to.include(u.says);
        expect(r.text).to.not.include('delete_customer').and.to.not.include('\\u0040');
        expect(await withheldCount(u.label)).to.equal(before + 1);
        const rec = (await sut.records()).at(-1)!;
        expect(rec.decision).to.equal('error');
        expect(rec.reason).to.include('withheld from the client').and.to.include(u.says);
      });
    }

    it('drops a reply whose id is the string "12" for request 12, and audits it', async () => {
      hostile.script = (_req, _body, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(escaped('12'));
      const r = await send(url(), list.replace('"id":1', '"id":12'), auth());
      expect(r.json.id).to.equal(12);
      expect(r.json.error?.message).to.include('held no response to this request');
      expect(r.text).to.not.include('delete_customer');
      expect((await sut.records()).some((rec) => (rec.reason ?? '').includes('id "12" (string) matches no outstanding request'))).to.equal(true);
    });

    for (const method of ['GET', 'DELETE']) {
      it(`withholds a ${method} body that is not SSE or JSON-RPC`, async () => {
        hostile.script = (_req, _body, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end(`contact ${EMAIL}`);
        const r = await send(url(), '', auth(), method);
        expect(r.status).to.equal(502);
        expect(r.text).to.not.include(EMAIL);
        expect(r.json.error?.message).to.include('content-type "text/plain"');
      });
    }

    it('passes only allow-listed response headers, masked, and refuses a session id holding personal data', async () => {
      const leaky = { 'x-user-email': EMAIL, location: `/u/${EMAIL}`, link: `<mailto:${EMAIL}>`, 'set-cookie': `who=${EMAIL}`, 'www-authenticate': `Bearer realm="${EMAIL}"`, 'retry-after': '5' };
      hostile.script = (_req, body, res) => void res.writeHead(200, { 'content-type': 'application/json', ...leaky }).end(JSON.stringify({ jsonrpc: '2.0', id: body?.id, result: TOOLS }));
      const r = await send(url(), list, auth());
      expect(r.status).to.equal(200);
      for (const [name] of Object.entries(leaky)) if (name !== 'retry-after') expect(r.headers.get(name), name).to.equal(null);
      expect(r.headers.get('retry-after')).to.equal('5');
      hostile.script = (_req, body, res) => void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-jane.doe@example.com' }).end(JSON.stringify({ jsonrpc: '2.0', id: body?.id, result: TOOLS }));
      const s = await send(url(), list, auth());
      expect(s.status).to.equal(502);
      expect(s.headers.get('mcp-session-id')).to.equal(null);
      expect(s.json.error?.message).to.include('session id');
    });

    it('answers a duplicate content-type with a clean 502 and an audit record', async () => {
      hostile.script = (_req, body, res) => {
        res.setHeader('content-type', ['application/json', 'text/html']);
        res.writeHead(200).end(JSON.stringify({ jsonrpc: '2.0', id: body?.id, result: TOOLS }));
      };
      const r = await send(url(), list, auth());
      expect(r.status).to.equal(502);
      expect(r.json.error?.message).to.include('2 content-type headers');
      expect((await sut.records()).at(-1)?.reason).to.include('2 content-type headers');
    });

    it('refuses a gzip reply (the sidecar asks for identity) instead of forwarding it garbled', async () => {
      hostile.script = (req, body, res) => {
        expect(req.headers['accept-encoding']).to.equal('identity');
        // The body is the sidecar's own UTF-8 JSON, whatever charset the client claimed.
        expect(req.headers['content-type']).to.equal('application/json');
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync(escaped(body?.id)));
      };
      const r = await send(url(), list, { ...auth(), 'content-type': 'application/json; charset=iso-8859-1', 'accept-encoding': 'gzip' });
      expect(r.status).to.equal(502);
      expect(r.json.error?.message).to.include('content-encoding gzip');
    });

    it('masks SSE fields: comments dropped, event type its own, an id with personal data replaced and mapped back on resumption', async () => {
      hostile.script = (req, body, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`: ${EMAIL}\nevent: ${EMAIL}\nid: ${EMAIL}\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: body?.id, result: { tools: [] } })}\n\n`);
      };
      const r = await send(url(), list, auth());
      expect(r.text).to.not.include(EMAIL);
      expect(r.text).to.include('event: message');
      const id = /^id: (.*)$/mu.exec(r.text)?.[1];
      expect(id).to.match(/^mcpr-/u);
      hostile.script = (_req, _body, res) => void res.writeHead(200, { 'content-type': 'text/event-stream' }).end();
      await send(url(), '', { ...auth(), 'last-event-id': id! }, 'GET');
      expect(hostile.requests.at(-1)?.['last-event-id']).to.equal(EMAIL);
    });

    it('withholds SSE data that is not strict JSON-RPC, with an error for the call', async () => {
      hostile.script = (_req, _body, res) => void res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`data: ${escaped(1).replace('"id":1', '"id":1,"x":NaN')}\n\n`);
      const r = await send(url(), list, auth());
      expect(r.text).to.not.include('delete_customer');
      expect(r.text).to.include('not strict JSON');
    });

    it('filters a tools/list replayed on a resumed GET stream like a live one, and drops replies to nothing', async () => {
      // initialize opens a session; the tools/list stream ends before its answer; the GET that
      // resumes it replays the answer (delete_customer is denied to this caller) and one more.
      hostile.script = (_req, body, res) => {
        if (body?.method === 'initialize') {
          res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-1' });
          return void res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-03-26', capabilities: {}, serverInfo: { name: 'x', version: '1' } } }));
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end('id: e1\ndata: \n\n');
      };
      const init = await send(url(), '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}', auth());
      const session = { ...auth(), 'mcp-session-id': init.headers.get('mcp-session-id')! };
      await send(url(), list.replace('"id":1', '"id":5'), session);
      hostile.script = (_req, _body, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`id: e2\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 5, result: TOOLS })}\n\n`);
        res.end(`id: e3\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 6, result: TOOLS })}\n\n`);
      };
      const replay = await send(url(), '', { ...session, 'last-event-id': 'e1' }, 'GET');
      const events = replay.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { id: number; result: typeof TOOLS });
      expect(events.map((e) => e.id)).to.deep.equal([5]);
      expect(events[0]!.result.tools.map((t) => t.name)).to.deep.equal(['get_customer']);
    });

    it('masks what hides behind encodings, splits, neighbours, signs and blobs', async () => {
      const result = {
        content: [
          { type: 'text', text: 'mail jane.doe%40example.com or jane.doe&#64;example.com; order 10023 4111 1111 1111 1111; card 4111.1111.1111.1111; write to jane.doe@exa' },
          { type: 'text', text: 'mple.com' },
          { type: 'resource', resource: { uri: 'file:///n.txt', mimeType: 'text/plain', blob: Buffer.from(`note for ${EMAIL}`).toString('base64') } },
          { type: 'image', mimeType: 'image/png', data: Buffer.from(`not a png ${CARD}`).toString('base64') },
        ],
        structuredContent: { card: -4111111111111111 },
      };
      hostile.script = (_req, body, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: body?.id, result }));
      const r = await send(url(), call('get_customer'), auth());
      const decoded = JSON.stringify(r.json) + r.text + r.text.replace(/"(?:blob|data)":"([^"]+)"/gu, (_m, b64: string) => Buffer.from(b64, 'base64').toString('latin1'));
      for (const raw of RAW) expect(decoded, raw).to.not.include(raw);
      expect(decoded).to.not.include('4111111111111111').and.to.not.include('exa').and.to.not.include('mple.com');
      expect(r.text).to.include('[EMAIL]').and.to.include('[CREDIT_CARD]');
    });

    it('refuses Mcp-Method and Mcp-Name on a batch, whose messages one header cannot describe', async () => {
      let reached = false;
      hostile.script = (_req, _body, res) => {
        reached = true;
        res.writeHead(500).end();
      };
      const batch = `[${list},${call('delete_customer').replace('"id":1', '"id":2')}]`;
      const r = await send(url(), batch, { ...auth(), 'mcp-method': 'tools/list' });
      expect(r.status).to.equal(400);
      expect(r.json.error?.code).to.equal(-32020);
      expect(r.json.error?.message).to.include('describe a single message, and this POST is a batch');
      expect(reached, 'the server was called').to.equal(false);
    });

    it('gives the official SDK client an error naming why, never the unreadable or unmatched answer', async () => {
      let mode: 'bom' | 'string-id' = 'bom';
      hostile.script = (_req, body, res) => {
        if (body?.method === 'initialize') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-03-26', capabilities: { tools: {} }, serverInfo: { name: 'x', version: '1' } } }));
        }
        if (body?.id === undefined) return void res.writeHead(202).end();
        if (mode === 'bom') return void res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(escaped(body.id))]));
        res.writeHead(200, { 'content-type': 'application/json' }).end(escaped(JSON.stringify(body.id)));
      };
      const client = await connectClient('streamable', url(), token);
      try {
        let error = '';
        await client.listTools().catch((err: Error) => (error = err.message));
        expect(error).to.include('byte-order mark');
        mode = 'string-id';
        await client.listTools().catch((err: Error) => (error = err.message));
        expect(error).to.include('held no response to this request');
      } finally {
        await client.close();
      }
    });

    it('replaces the legacy endpoint URL (its query may hold anything) with one of its own', async () => {
      hostile.script = (_req, _body, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`event: endpoint\ndata: /messages?sessionId=${EMAIL}\n\n`);
      };
      const r = await send(`${sut.sidecar.urls.mcp}/sse`, '', auth(), 'GET');
      expect(r.text).to.include('event: endpoint').and.to.include('/messages?mcp-residency-session=');
      expect(r.text).to.not.include(EMAIL);
    });
  });
});
