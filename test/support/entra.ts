// A local Microsoft Entra ID token endpoint over HTTPS (a test CA), enough for MSAL's client
// credentials flow with a client assertion: the authority metadata, instance discovery and
// /oauth2/v2.0/token. It issues a token only when the client assertion is the federated token
// the test wrote (what Entra checks against the federated identity credential's issuer and
// subject), for the expected client; anything else gets Entra's error shape.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestPki, type TestPki } from '../egress/support/pki.ts';

export interface TokenGrant {
  readonly clientId: string;
  readonly scope: string;
  readonly token: string;
}

export interface FakeEntra {
  /** https://127.0.0.1:<port>: what AZURE_AUTHORITY_HOST points at */
  readonly authorityHost: string;
  readonly pki: TestPki;
  readonly grants: TokenGrant[];
  readonly refusals: string[];
  /** every request, as METHOD path */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startFakeEntra(o: { tenantId: string; clientId: string; federatedToken: string; lifetimeSeconds?: number; pki?: TestPki }): Promise<FakeEntra> {
  const pki = o.pki ?? (await createTestPki(['127.0.0.1', 'localhost'], 'entra test CA'));
  const grants: TokenGrant[] = [];
  const refusals: string[] = [];
  const requests: string[] = [];
  let base = '';
  const server: Server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      requests.push(`${req.method ?? ''} ${url.pathname}${url.search}`);
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const tenantBase = `${base}/${o.tenantId}`;
      if (req.method === 'GET' && url.pathname.endsWith('/v2.0/.well-known/openid-configuration')) {
        return json(200, {
          token_endpoint: `${tenantBase}/oauth2/v2.0/token`,
          authorization_endpoint: `${tenantBase}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${tenantBase}/oauth2/v2.0/logout`,
          issuer: `${tenantBase}/v2.0`,
          jwks_uri: `${tenantBase}/discovery/v2.0/keys`,
          response_types_supported: ['code'],
        });
      }
      if (req.method === 'GET' && url.pathname.endsWith('/discovery/instance')) {
        const host = new URL(base).host;
        return json(200, { tenant_discovery_endpoint: `${tenantBase}/v2.0/.well-known/openid-configuration`, metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }] });
      }
      if (req.method === 'POST' && url.pathname === `/${o.tenantId}/oauth2/v2.0/token`) {
        const form = new URLSearchParams(raw);
        const refuse = (why: string): void => {
          refusals.push(why);
          json(401, { error: 'invalid_client', error_description: `AADSTS700213: ${why}` });
        };
        if (form.get('grant_type') !== 'client_credentials') return refuse(`grant_type ${String(form.get('grant_type'))}`);
        if (form.get('client_id') !== o.clientId) return refuse(`unknown client ${String(form.get('client_id'))}`);
        if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return refuse('no client assertion');
        if (form.get('client_assertion') !== o.federatedToken) return refuse('the client assertion is not the federated token');
        const scope = (form.get('scope') ?? '').split(' ').find((s) => s.endsWith('/.default')) ?? '';
        const token = `entra-${grants.length + 1}-${Buffer.from(scope).toString('base64url')}`;
        grants.push({ clientId: o.clientId, scope, token });
        return json(200, { token_type: 'Bearer', expires_in: o.lifetimeSeconds ?? 3600, ext_expires_in: o.lifetimeSeconds ?? 3600, access_token: token });
      }
      json(404, { error: 'not_found', error_description: `${req.method ?? ''} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    authorityHost: base,
    pki,
    grants,
    refusals,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
