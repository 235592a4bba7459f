// A real OpenID provider (oidc-provider) for tests: it issues RFC 9068 JWT access tokens by
// client_credentials, with the audience a client asks for (RFC 8707 resource indicators) and a
// `groups` claim from the client's metadata. Tests that need a token no honest provider would
// issue (expired, wrong key, alg none) build it with the provider's own key via `forge`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import Provider from 'oidc-provider';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface TestClient {
  readonly id: string;
  readonly secret: string;
  readonly groups: readonly string[];
}

export interface TokenOptions {
  /** The resource (audience) to ask for. */
  readonly resource: string;
  readonly scope?: string;
}

export interface TestIssuer {
  readonly issuer: string;
  readonly kid: string;
  token(client: TestClient, options: TokenOptions): Promise<string>;
  /** A token signed with the issuer's key (or another) carrying exactly these claims. */
  forge(claims: Record<string, unknown>, options?: { kid?: string; key?: SigningKey }): Promise<string>;
  /** Adds a new signing key (rotation): it becomes the one tokens are signed with. */
  rotate(): Promise<void>;
  close(): Promise<void>;
}

export const SCOPES = 'mcp:tools mcp:admin';

export async function startIssuer(clients: readonly TestClient[]): Promise<TestIssuer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keys: { jwk: JWK; privateKey: SigningKey }[] = [];
  const addKey = async (): Promise<void> => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: `key-${keys.length + 1}`, alg: 'ES256', use: 'sig' };
    keys.unshift({ jwk, privateKey });
  };
  await addKey();

  let provider: Provider;
  const build = (): Provider =>
    new Provider(issuer, {
      clients: clients.map((c) => ({
        client_id: c.id,
        client_secret: c.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        id_token_signed_response_alg: 'ES256',
        groups: [...c.groups],
      })),
      extraClientMetadata: { properties: ['groups'] },
      jwks: { keys: keys.map((k) => k.jwk) },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => ({
            scope: SCOPES,
            audience: resource,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
      extraTokenClaims: (ctx: { oidc: { client?: { groups?: string[] } } }) => ({ groups: ctx.oidc.client?.groups ?? [] }),
    } as ConstructorParameters<typeof Provider>[1]);
  provider = build();
  server.on('request', (req, res) => void provider.callback()(req, res));

  return {
    issuer,
    get kid() {
      return keys[0]!.jwk.kid!;
    },
    async token(client, options) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', resource: options.resource, scope: options.scope ?? SCOPES });
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
        body,
      });
      const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!res.ok || json.access_token === undefined) throw new Error(`token request failed: ${json.error ?? res.status} ${json.error_description ?? ''}`);
      return json.access_token;
    },
    async forge(claims, options = {}) {
      const key = options.key ?? keys[0]!.privateKey;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: options.kid ?? keys[0]!.jwk.kid! })
        .sign(key);
    },
    async rotate() {
      await addKey();
      provider = build();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
