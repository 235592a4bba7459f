// Every refusal is on the record: each reason the gateway refuses a request for, before or
// after authentication, writes an audit record with that reason (and, for refused tokens, the
// issuer and subject they claimed and the client's address), logs one info line with the same
// reason, and answers with the request's JSON-RPC id. Repeated identical refusals share a
// record, so an unauthenticated client cannot fill the disk. Also: Origin and Host checks.
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import type { AuditRecord } from '../../sidecar/audit/record.ts';
import { checkOrigin } from '../../sidecar/inbound/origin.ts';
import { ALICE, AUDIENCE, BOB, crmPolicy } from '../support/crm.ts';
import { connectClient, postMcp } from '../support/mcp-client.ts';
import { startIssuer, type TestIssuer } from '../support/oidc.ts';
import { eventually, runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const OPEN_POLICY = `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: open }
spec:
  authentication: { mode: none }
`;

const call = (id: number | string, name = 'get_customer'): Record<string, unknown> => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { id: '42' } } });

describe('inbound gateway: Origin and Host (DNS rebinding)', () => {
  const loopback = { localAddress: '127.0.0.1', allowed: [] as string[] };
  const pod = { localAddress: '10.1.2.3', allowed: [] as string[] };

  it('accepts requests without Origin, and same-origin requests, by default', () => {
    expect(checkOrigin({ ...pod, origin: undefined, host: 'crm.example.com' }).ok).to.equal(true);
    expect(checkOrigin({ ...pod, origin: 'https://crm.example.com', host: 'crm.example.com' }).ok).to.equal(true);
    expect(checkOrigin({ ...pod, origin: 'http://crm.example.com:8080', host: 'crm.example.com:8080' }).ok).to.equal(true);
    expect(checkOrigin({ ...pod, origin: 'http://crm.example.com:80', host: 'crm.example.com' }).ok).to.equal(true);
  });

  it('accepts loopback origins on a loopback connection (the Inspector at http://localhost:6274)', () => {
    expect(checkOrigin({ ...loopback, origin: 'http://localhost:6274', host: '127.0.0.1:15080' }).ok).to.equal(true);
    expect(checkOrigin({ ...loopback, origin: 'http://[::1]:6274', host: 'localhost:15080' }).ok).to.equal(true);
    const notLoopback = checkOrigin({ ...pod, origin: 'http://localhost:6274', host: 'crm.example.com' });
    expect(notLoopback.ok).to.equal(false);
  });

  it('refuses any other origin unless allowedOrigins lists it, naming the origin and the policy field', () => {
    const v = checkOrigin({ ...pod, origin: 'https://evil.example', host: 'crm.example.com' });
    expect(v.ok).to.equal(false);
    expect(!v.ok && v.reason).to.include('origin https://evil.example is not allowed').and.to.include('authentication.allowedOrigins');
    expect(checkOrigin({ ...pod, allowed: ['https://evil.example/'], origin: 'https://EVIL.example', host: 'crm.example.com' }).ok).to.equal(true);
    expect(checkOrigin({ ...pod, origin: 'null', host: 'crm.example.com' }).ok).to.equal(false);
  });

  it('refuses a public Host name on a loopback connection, with or without Origin', () => {
    for (const origin of [undefined, 'http://evil.example.com:15080']) {
      const v = checkOrigin({ ...loopback, origin, host: 'evil.example.com:15080' });
      expect(v.ok).to.equal(false);
      expect(!v.ok && v.reason).to.include('"evil.example.com:15080" is not a loopback name');
    }
    expect(checkOrigin({ ...loopback, allowed: ['http://mcp.local:15080'], origin: 'http://mcp.local:15080', host: 'mcp.local:15080' }).ok).to.equal(true);
  });
});

describe('inbound gateway: every refusal is audited', () => {
  let issuer: TestIssuer;
  let server: RunningSampleServer;
  let sut: SidecarUnderTest;
  let url: string;
  let bob: string;
  before(async () => {
    issuer = await startIssuer([ALICE, BOB]);
    server = await startSampleServer('stateless');
    sut = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer), limits: { maxRequestBytes: 16 * 1024 }, refusalWindowMs: 60_000 });
    await waitReady(sut.sidecar);
    url = `${sut.sidecar.urls.mcp}/mcp`;
    bob = await issuer.token(BOB, { resource: AUDIENCE });
  });
  after(async () => {
    await sut.close();
    await server.close();
    await issuer.close();
  });

  /** The refusal records with this reason (exactly one is expected). */
  const recordFor = async (reason: RegExp): Promise<AuditRecord> =>
    eventually(`a record matching ${String(reason)}`, async () => {
      const found = (await sut.records()).filter((r) => reason.test(r.reason ?? ''));
      return found.length > 0 ? found : undefined;
    }).then((found) => {
      expect(found, String(reason)).to.have.length(1);
      return found[0]!;
    });

  const logLineFor = (reason: string): Record<string, unknown> => {
    const lines = sut
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === `refused: ${reason}`);
    expect(lines, `log lines for ${reason}`).to.have.length(1);
    return lines[0]!;
  };

  const cases: { name: string; send: () => Promise<Response>; status: number; reason: RegExp; id?: number; check?: (r: AuditRecord) => void }[] = [
    {
      name: 'a missing token (with the client address)',
      send: () => postMcp(url, call(101)),
      status: 401,
      reason: /^a bearer token is required$/u,
      id: 101,
      check: (r) => expect(r.client).to.equal('127.0.0.1'),
    },
    {
      name: 'an expired token, with the issuer and sub it claimed',
      send: async () => {
        const now = Math.floor(Date.now() / 1000);
        return postMcp(url, call(102), { authorization: `Bearer ${await issuer.forge({ sub: 'mallory', aud: AUDIENCE, scope: 'mcp:tools', iat: now - 3600, exp: now - 600 })}` });
      },
      status: 401,
      reason: /^the token has expired$/u,
      id: 102,
      check: (r) => {
        // Claims are masked like any value: the test issuer's loopback address is an IP address.
        expect(r.claimed).to.deep.equal({ sub: 'mallory', issuer: issuer.issuer.replace('127.0.0.1', '[IP_ADDRESS]') });
        expect(r.principal.sub).to.equal('unauthenticated');
      },
    },
    {
      name: 'an invalid token claiming an e-mail address as sub (masked)',
      send: async () => {
        const token = await issuer.forge({ sub: 'eve@example.com', aud: 'api://elsewhere', scope: 'mcp:tools', exp: Math.floor(Date.now() / 1000) + 600 });
        return postMcp(url, call(103), { authorization: `Bearer ${token}` });
      },
      status: 401,
      reason: /another audience/u,
      id: 103,
      check: (r) => expect(r.claimed?.sub).to.equal('[EMAIL]'),
    },
    {
      name: 'insufficient scope',
      send: async () => postMcp(url, call(104), { authorization: `Bearer ${await issuer.token(ALICE, { resource: AUDIENCE, scope: 'mcp:admin' })}` }),
      status: 403,
      reason: /lacks the scope mcp:tools/u,
      id: 104,
    },
    {
      name: 'a refused origin',
      send: () => postMcp(url, call(105), { authorization: `Bearer ${bob}`, origin: 'https://evil.example' }),
      status: 403,
      reason: /origin https:\/\/evil\.example is not allowed/u,
      id: 105,
    },
    {
      name: 'a malformed request',
      send: () => postMcp(url, { jsonrpc: '1.0', id: 106, method: 'tools/list' }, { authorization: `Bearer ${bob}` }),
      status: 400,
      reason: /jsonrpc must be "2\.0"/u,
      id: 106,
      check: (r) => expect(r.principal.sub).to.equal('bob'),
    },
    {
      name: 'a header mismatch',
      send: () => postMcp(url, call(107), { authorization: `Bearer ${bob}`, 'mcp-method': 'tools/list' }),
      status: 400,
      reason: /the Mcp-Method header says "tools\/list"/u,
      id: 107,
      check: (r) => expect(r.method).to.equal('tools/call'),
    },
    {
      name: 'an oversized body',
      send: () => postMcp(url, { ...call(108), pad: 'x'.repeat(32 * 1024) }, { authorization: `Bearer ${bob}` }),
      status: 413,
      reason: /request body larger than 16384 bytes/u,
    },
  ];

  for (const c of cases) {
    it(`records ${c.name}, logs it at info, and answers with the request's id`, async () => {
      const res = await c.send();
      expect(res.status).to.equal(c.status);
      const body = (await res.json()) as { id: unknown; error: { message: string } };
      expect(body.id).to.equal(c.id ?? null);
      const r = await recordFor(c.reason);
      expect(r).to.include({ kind: 'mcp', decision: 'deny', status: c.status });
      if (c.id !== undefined) expect(r.requestId).to.equal(c.id);
      c.check?.(r);
      const line = logLineFor(r.reason!);
      expect(line).to.include({ level: 'info', status: c.status });
    });
  }

  it('records a refusal while the policy is unavailable', async () => {
    await sut.writePolicy('apiVersion: mcpresidency.io/v1alpha1\nkind: MCPResidencyPolicy\nmetadata: { name: crm }\nspec: { tools: { default: maybe } }\n');
    try {
      await eventually('policy refused', async () => ((await postMcp(url, call(109), { authorization: `Bearer ${bob}` })).status === 503 ? true : undefined));
      const r = await recordFor(/^mcp-residency refuses every request: /u);
      expect(r).to.include({ decision: 'error', status: 503, requestId: 109 });
    } finally {
      await sut.writePolicy(crmPolicy(issuer.issuer));
      await eventually('policy back', async () => ((await postMcp(url, call(110), { authorization: `Bearer ${bob}` })).status === 200 ? true : undefined));
    }
  });

  it('aggregates repeated identical refusals into one record per window, with a count', async () => {
    // A window longer than the test: the count is written when the window ends or, as here, at shutdown.
    const agg = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer), refusalWindowMs: 600_000 });
    let closed = false;
    try {
      await waitReady(agg.sidecar);
      const target = `${agg.sidecar.urls.mcp}/mcp`;
      for (let i = 0; i < 25; i++) expect((await postMcp(target, call(i))).status).to.equal(401);
      const missing = async (): Promise<AuditRecord[]> => (await agg.records()).filter((r) => r.reason?.startsWith('a bearer token is required'));
      expect(await missing()).to.have.length(1);
      // Another reason from the same client is not folded into the first.
      await postMcp(target, call(1), { authorization: 'Bearer not-a-jwt' });
      expect((await agg.records()).filter((r) => r.reason === 'the token is not a well-formed JWT')).to.have.length(1);
      const infoLines = agg.logs().split('\n').filter((l) => l.includes('"refused: a bearer token is required"') && l.includes('"level":"info"'));
      expect(infoLines).to.have.length(1);
      await agg.sidecar.close();
      closed = true;
      const all = await missing();
      expect(all).to.have.length(2);
      expect(all[0]!.count).to.equal(undefined);
      expect(all[1]).to.include({ count: 24, reason: 'a bearer token is required (repeated)', client: '127.0.0.1' });
      expect(all[0]!.requestId).to.equal(0);
      expect(all[1]!.requestId).to.equal(undefined);
    } finally {
      if (closed) await rm(agg.dir, { recursive: true, force: true });
      else await agg.close();
    }
  });

  it('counts and logs refusals while the audit log is unavailable (they cannot be written)', async () => {
    const down = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer) });
    try {
      await waitReady(down.sidecar);
      await down.sidecar.audit.close();
      const res = await postMcp(`${down.sidecar.urls.mcp}/mcp`, call(111), { authorization: `Bearer ${bob}` });
      expect(res.status).to.equal(503);
      expect(((await res.json()) as { id: unknown }).id).to.equal(111);
      const lines = down.logs().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.some((l) => l.level === 'info' && String(l.msg).startsWith('refused: mcp-residency refuses every request: the audit log is unavailable'))).to.equal(true);
      expect(lines.some((l) => l.level === 'warn' && l.waiting === 1)).to.equal(true);
    } finally {
      await down.close();
    }
  });
});

describe('inbound gateway: log hygiene', () => {
  it('logs a GET stream its client closes at debug, never as an error', async () => {
    const server = await startSampleServer('streamable');
    const sut = await runSidecar({ upstream: server.origin, policy: OPEN_POLICY });
    try {
      await waitReady(sut.sidecar);
      const client = await connectClient('streamable', `${sut.sidecar.urls.mcp}/mcp`, undefined);
      expect(await client.listTools()).to.include('get_customer');
      await client.close();
      const lines = (): Record<string, unknown>[] => sut.logs().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      await eventually('the closed stream logged', () => (lines().some((l) => l.msg === 'request ended: the client closed the connection' && l.level === 'debug') ? true : undefined));
      expect(lines().filter((l) => l.level === 'error')).to.deep.equal([]);
    } finally {
      await sut.close();
      await server.close();
    }
  });
});
