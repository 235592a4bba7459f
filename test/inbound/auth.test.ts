// The gateway as an OAuth 2.1 resource server (MCP authorization spec), against a real OIDC
// provider: only tokens from the policy's issuer, for the policy's audience, unexpired, with
// the required scopes and a valid signature get through, and none is passed to the server.
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { ALICE, AUDIENCE, BOB, crmPolicy } from '../support/crm.ts';
import { connectClient, postMcp } from '../support/mcp-client.ts';
import { startIssuer, type TestIssuer } from '../support/oidc.ts';
import { runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('inbound gateway: authentication', () => {
  let issuer: TestIssuer;
  let server: RunningSampleServer;
  let sut: SidecarUnderTest;
  let mcp: string;

  before(async () => {
    issuer = await startIssuer([ALICE, BOB]);
    server = await startSampleServer('streamable');
    sut = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer) });
    await waitReady(sut.sidecar);
    mcp = `${sut.sidecar.urls.mcp}/mcp`;
  });
  after(async () => {
    await sut.close();
    await server.close();
    await issuer.close();
  });

  const expectRefused = async (token: string, status: number, error: string, description: RegExp): Promise<void> => {
    const res = await postMcp(mcp, INIT, { authorization: `Bearer ${token}` });
    expect(res.status).to.equal(status);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).to.match(/^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
    expect(challenge).to.include(`error="${error}"`);
    expect(((await res.json()) as { error: { message: string } }).error.message).to.match(description);
  };

  it('answers a request without a token with 401 and a resource_metadata challenge', async () => {
    const res = await postMcp(mcp, INIT);
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.equal(
      `Bearer resource_metadata="${sut.sidecar.urls.mcp}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"`,
    );
  });

  it('serves RFC 9728 protected resource metadata, root and path-suffixed', async () => {
    for (const [path, resource] of [
      ['/.well-known/oauth-protected-resource/mcp', `${sut.sidecar.urls.mcp}/mcp`],
      ['/.well-known/oauth-protected-resource', sut.sidecar.urls.mcp],
    ] as const) {
      const res = await fetch(`${sut.sidecar.urls.mcp}${path}`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.include({ resource, authorization_servers: [issuer.issuer], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'] });
    }
  });

  it('describes itself with the origin clients used, behind a TLS-terminating ingress', async () => {
    const res = await fetch(`${sut.sidecar.urls.mcp}/.well-known/oauth-protected-resource/mcp`, {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'crm-mcp.example.com' },
    });
    expect(((await res.json()) as { resource: string }).resource).to.equal('https://crm-mcp.example.com/mcp');
  });

  it('accepts a valid token from the issuer', async () => {
    const res = await postMcp(mcp, INIT, { authorization: `Bearer ${await issuer.token(BOB, { resource: AUDIENCE })}` });
    expect(res.status).to.equal(200);
  });

  it('refuses a token issued for another resource (audience)', async () => {
    await expectRefused(await issuer.token(BOB, { resource: 'api://some-other-server' }), 401, 'invalid_token', /another audience/);
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await issuer.forge({ sub: 'bob', aud: AUDIENCE, scope: 'mcp:tools', iat: now - 3600, exp: now - 600 }), 401, 'invalid_token', /expired/);
  });

  it('accepts a token expired within the small clock skew allowance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.forge({ sub: 'bob', aud: AUDIENCE, scope: 'mcp:tools', exp: now - 10 });
    expect((await postMcp(mcp, INIT, { authorization: `Bearer ${token}` })).status).to.equal(200);
  });

  it('refuses a token whose signature does not verify', async () => {
    const token = await issuer.token(BOB, { resource: AUDIENCE });
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = Buffer.from(JSON.stringify({ ...payload, groups: ['privacy-officers'] })).toString('base64url');
    await expectRefused(`${h}.${tampered}.${s}`, 401, 'invalid_token', /signature does not verify/);
  });

  it('refuses alg: none', async () => {
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${enc({ alg: 'none', typ: 'at+jwt' })}.${enc({ iss: issuer.issuer, sub: 'bob', aud: AUDIENCE, exp: now + 300, scope: 'mcp:tools' })}.`;
    await expectRefused(unsigned, 401, 'invalid_token', /algorithm that is not accepted|not a well-formed JWT/);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const jwks = (await (await fetch(`${issuer.issuer}/jwks`)).json()) as { keys: unknown[] };
    const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const token = await new SignJWT({ sub: 'bob', aud: AUDIENCE, scope: 'mcp:tools', iss: issuer.issuer })
      .setProtectedHeader({ alg: 'HS256', kid: issuer.kid })
      .setExpirationTime('5m')
      .sign(secret);
    await expectRefused(token, 401, 'invalid_token', /algorithm that is not accepted/);
  });

  it('refuses a token signed by a key the issuer never published (unknown kid)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await expectRefused(await issuer.forge({ sub: 'bob', aud: AUDIENCE, scope: 'mcp:tools' }, { kid: 'attacker-key', key: privateKey }), 401, 'invalid_token', /no signing key/);
  });

  it('refuses a token from another issuer', async () => {
    await expectRefused(await issuer.forge({ sub: 'bob', aud: AUDIENCE, scope: 'mcp:tools', iss: 'https://evil.example.com' }), 401, 'invalid_token', /another issuer/);
  });

  it('answers a token without the required scope with 403 insufficient_scope', async () => {
    await expectRefused(await issuer.token(BOB, { resource: AUDIENCE, scope: 'mcp:admin' }), 403, 'insufficient_scope', /lacks the scope mcp:tools/);
  });

  it('refuses tokens in the query string', async () => {
    const token = await issuer.token(BOB, { resource: AUDIENCE });
    const res = await postMcp(`${mcp}?access_token=${token}`, INIT);
    expect(res.status).to.equal(400);
  });

  it('follows a key rotation: a token signed with a new key is accepted after a JWKS refresh', async () => {
    await issuer.rotate();
    // Unknown key ids trigger a refetch at most once per cooldown (200 ms in tests, 30 s by
    // default), so a flood of forged kids cannot hammer the issuer; the test before this one
    // just used up the current window.
    await new Promise((r) => setTimeout(r, 250));
    const token = await issuer.token(BOB, { resource: AUDIENCE });
    const res = await postMcp(mcp, INIT, { authorization: `Bearer ${token}` });
    expect(res.status).to.equal(200);
  });

  it('never passes the client token to the MCP server', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const upstream = http.createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'x', version: '1' } } })));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const other = await runSidecar({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, policy: crmPolicy(issuer.issuer) });
    try {
      await waitReady(other.sidecar);
      const token = await issuer.token(BOB, { resource: AUDIENCE });
      const res = await postMcp(`${other.sidecar.urls.mcp}/mcp`, INIT, { authorization: `Bearer ${token}`, cookie: 'session=abc' });
      expect(res.status).to.equal(200);
      expect(seen).to.have.length(1);
      expect(seen[0]).to.not.have.any.keys('authorization', 'cookie');
      expect(JSON.stringify(seen[0])).to.not.include(token);
      expect(seen[0]!['accept-encoding']).to.equal('identity');
    } finally {
      await other.close();
      upstream.close();
    }
  });

  it('binds a session to the principal that opened it: a stolen session id is refused', async () => {
    const alice = await connectClient('streamable', mcp, await issuer.token(ALICE, { resource: AUDIENCE }));
    try {
      const sessionId = alice.sessionId!;
      expect(sessionId).to.be.a('string');
      const before = server.calls.get('get_customer') ?? 0;
      const res = await postMcp(
        mcp,
        { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'get_customer', arguments: { id: '42' } } },
        { authorization: `Bearer ${await issuer.token(BOB, { resource: AUDIENCE })}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      );
      expect(res.status).to.equal(404);
      expect(server.calls.get('get_customer') ?? 0).to.equal(before);
      const refusal = (await sut.records()).find((r) => r.reason === 'the session belongs to another principal' && r.decision === 'deny');
      expect(refusal?.principal.sub).to.equal('bob');
      // The audit log holds a keyed hash of the session id, never the id the server chose.
      expect(refusal?.session).to.match(/^hmac:[0-9a-f]{32}$/u);
      expect(await sut.auditBytes()).to.not.include(sessionId);
      // Alice's own session still works.
      expect(await alice.listTools()).to.include('get_customer');
    } finally {
      await alice.close();
    }
  });

  it('refuses session ids it never saw', async () => {
    const res = await postMcp(mcp, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, {
      authorization: `Bearer ${await issuer.token(BOB, { resource: AUDIENCE })}`,
      'mcp-session-id': 'made-up-session',
    });
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { id: unknown }).id).to.equal(2);
  });

  it('validates Origin: a browser page on another origin is refused (DNS rebinding)', async () => {
    const token = await issuer.token(BOB, { resource: AUDIENCE });
    const res = await postMcp(mcp, INIT, { authorization: `Bearer ${token}`, origin: 'http://evil.example' });
    expect(res.status).to.equal(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).to.include('origin http://evil.example is not allowed');
  });

  it('lets an allowed origin through', async () => {
    const other = await runSidecar({
      upstream: server.origin,
      policy: crmPolicy(issuer.issuer).replace('    requiredScopes: [mcp:tools]', '    requiredScopes: [mcp:tools]\n    allowedOrigins: ["https://chat.example.com"]'),
    });
    try {
      await waitReady(other.sidecar);
      const res = await postMcp(`${other.sidecar.urls.mcp}/mcp`, INIT, { authorization: `Bearer ${await issuer.token(BOB, { resource: AUDIENCE })}`, origin: 'https://chat.example.com' });
      expect(res.status).to.equal(200);
    } finally {
      await other.close();
    }
  });

  it('keeps verifying with the last good keys while the issuer is down', async () => {
    const flaky = await startIssuer([BOB]);
    const other = await runSidecar({ upstream: server.origin, policy: crmPolicy(flaky.issuer) });
    try {
      await waitReady(other.sidecar);
      const token = await flaky.token(BOB, { resource: AUDIENCE });
      await flaky.close();
      const res = await postMcp(`${other.sidecar.urls.mcp}/mcp`, INIT, { authorization: `Bearer ${token}` });
      expect(res.status).to.equal(200);
      expect(other.sidecar.readiness.report().ready).to.equal(true);
    } finally {
      await other.close();
    }
  });

  it('is not ready, and refuses tokens, until it has the issuer keys', async () => {
    const down = await startIssuer([BOB]);
    const token = await down.token(BOB, { resource: AUDIENCE });
    await down.close();
    const other = await runSidecar({ upstream: server.origin, policy: crmPolicy(down.issuer) });
    try {
      const report = other.sidecar.readiness.report();
      expect(report.ready).to.equal(false);
      expect(report.checks.jwks?.reason).to.match(/signing keys of http:\/\/127\.0\.0\.1:\d+ not loaded yet/);
      const res = await postMcp(`${other.sidecar.urls.mcp}/mcp`, INIT, { authorization: `Bearer ${token}` });
      expect(res.status).to.equal(401);
    } finally {
      await other.close();
    }
  });
});
