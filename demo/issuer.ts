// The demo's identity provider: just enough OpenID Provider to show identities in the audit
// log. It publishes discovery metadata and a JWKS, and hands out RFC 9068 access tokens by
// client_credentials to two built-in demo clients. Not for anything but the demo: there are
// no secrets worth the name and no persistence.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export interface DemoIdentity {
  readonly clientId: string;
  readonly secret: string;
  readonly groups: readonly string[];
}

export const DEMO_AGENT: DemoIdentity = { clientId: 'demo-agent', secret: 'demo-agent-secret', groups: ['support'] };
export const DEMO_OFFICER: DemoIdentity = { clientId: 'privacy-officer', secret: 'privacy-officer-secret', groups: ['privacy-officers'] };
/** A second privacy officer: nobody approves their own calls. */
export const DEMO_DPO: DemoIdentity = { clientId: 'dpo', secret: 'dpo-secret', groups: ['privacy-officers'] };

export interface DemoIssuer {
  readonly issuer: string;
  token(who: DemoIdentity, audience: string, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startDemoIssuer(listen: { host: string; port: number }): Promise<DemoIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'demo-1', alg: 'ES256', use: 'sig' };
  const clients = new Map([DEMO_AGENT, DEMO_OFFICER, DEMO_DPO].map((c) => [c.clientId, c]));
  let issuer = '';
  const sign = (who: DemoIdentity, audience: string, ttl: number): Promise<string> =>
    new SignJWT({ client_id: who.clientId, groups: [...who.groups], scope: 'mcp:tools' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'demo-1' })
      .setIssuer(issuer)
      .setSubject(who.clientId)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .sign(privateKey);

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return json(200, { issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token`, grant_types_supported: ['client_credentials'] });
    }
    if (req.method === 'GET' && path === '/jwks') return json(200, { keys: [jwk] });
    if (req.method === 'POST' && path === '/token') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /u, ''), 'base64').toString().split(':');
        const who = clients.get(id ?? '');
        if (who === undefined || who.secret !== secret || form.get('grant_type') !== 'client_credentials') return json(401, { error: 'invalid_client' });
        const audience = form.get('resource') ?? '';
        void sign(who, audience, 3600).then((token) => json(200, { access_token: token, token_type: 'Bearer', expires_in: 3600 }));
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, resolve);
  });
  issuer = `http://${listen.host}:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    token: (who, audience, ttl = 3600) => sign(who, audience, ttl),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
