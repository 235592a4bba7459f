// Bearer token verification for the MCP authorization spec: the sidecar is an OAuth 2.1
// resource server. A token is accepted only when its signature verifies with the issuer's
// keys (asymmetric algorithms only: `alg: none` and HMAC-with-public-key tricks fail), its
// issuer and audience are the policy's, it has not expired (small clock skew), and it carries
// every required scope.
//
// jose loads with the first token (an idle sidecar does not pay for it, issue 17); when it
// cannot load, the token is refused like any token that does not verify.
import type * as Jose from 'jose';
import type { ResolvedAuthentication } from '../../../policy/types.ts';
import type { Principal } from '../../audit/record.ts';
import type { JwksCache } from './jwks.ts';

export const CLOCK_TOLERANCE_SECONDS = 30;
/** The description of an expired token (refusal records classify by it). */
export const TOKEN_EXPIRED = 'the token has expired';
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface VerifiedPrincipal extends Principal {
  readonly groups: string[];
  readonly scopes: readonly string[];
}

export type AuthFailure = {
  readonly ok: false;
  readonly status: 401 | 403 | 400;
  /** RFC 6750 error code; absent when no credentials were sent at all. */
  readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined;
  readonly description: string;
};

export type AuthOutcome = { readonly ok: true; readonly principal: VerifiedPrincipal } | AuthFailure;

type OidcAuth = Extract<ResolvedAuthentication, { mode: 'oidc' }>;

/**
 * Verified tokens are remembered until they expire (at most CACHE_TTL_MS): an agent sends the
 * same token on every request, and a signature check costs far more than proxying the call.
 * Only successes are cached, and the cache belongs to one policy's verifier: a policy change
 * (issuer, audience, scopes) starts from nothing.
 */
const CACHE_TTL_MS = 60_000;
const CACHE_MAX = 10_000;

export class TokenVerifier {
  readonly #auth: OidcAuth;
  readonly #jwks: JwksCache;
  readonly #cache = new Map<string, { principal: VerifiedPrincipal; until: number }>();

  constructor(auth: OidcAuth, jwks: JwksCache) {
    this.#auth = auth;
    this.#jwks = jwks;
  }

  get requiredScopes(): readonly string[] {
    return this.#auth.requiredScopes;
  }

  async verify(authorization: string | undefined): Promise<AuthOutcome> {
    if (authorization === undefined || authorization === '') {
      return { ok: false, status: 401, error: undefined, description: 'a bearer token is required' };
    }
    const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/u.exec(authorization);
    if (m === null) return { ok: false, status: 401, error: 'invalid_request', description: 'the Authorization header must be "Bearer <token>"' };
    const token = m[1]!;
    const cached = this.#cache.get(token);
    if (cached !== undefined) {
      if (Date.now() < cached.until) return { ok: true, principal: cached.principal };
      this.#cache.delete(token);
    }
    const outcome = await this.#verify(token);
    if (outcome.ok) {
      if (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(token, { principal: outcome.principal, until: Math.min(outcome.expiresAt - CLOCK_TOLERANCE_SECONDS * 1000, Date.now() + CACHE_TTL_MS) });
    }
    return outcome;
  }

  async #verify(token: string): Promise<AuthOutcome & { expiresAt: number }> {
    let payload: Jose.JWTPayload;
    let jose: typeof Jose | undefined;
    try {
      jose = await import('jose');
      ({ payload } = await jose.jwtVerify(token, this.#jwks.getKey, {
        issuer: this.#auth.issuer,
        audience: [...this.#auth.audiences],
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      return { ok: false, status: 401, error: 'invalid_token', description: describeJoseError(err, jose?.errors), expiresAt: 0 };
    }
    const scopes = scopesOf(payload);
    const missing = this.#auth.requiredScopes.filter((s) => !scopes.includes(s));
    if (missing.length > 0) {
      return { ok: false, status: 403, error: 'insufficient_scope', description: `the token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}`, expiresAt: 0 };
    }
    const clientId = [payload.client_id, payload.azp, payload.appid].find((v): v is string => typeof v === 'string');
    return {
      ok: true,
      expiresAt: payload.exp! * 1000,
      principal: {
        sub: payload.sub!,
        issuer: payload.iss!,
        ...(clientId !== undefined ? { clientId } : {}),
        groups: stringList(payload[this.#auth.groupsClaim]),
        scopes,
      },
    };
  }
}

/** `scope` (RFC 9068, space separated) or Entra's `scp` (string or list). */
function scopesOf(payload: Jose.JWTPayload): string[] {
  return [...stringList(payload.scope), ...stringList(payload.scp)];
}

function stringList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(' ').filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** Says what is wrong with a token without echoing its contents. */
function describeJoseError(err: unknown, joseErrors: typeof Jose.errors | undefined): string {
  if (joseErrors === undefined) return `the token could not be verified: ${(err as Error).message}`;
  if (err instanceof joseErrors.JWTExpired) return TOKEN_EXPIRED;
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud':
        return 'the token was issued for another audience';
      case 'iss':
        return 'the token was issued by another issuer';
      case 'nbf':
        return 'the token is not valid yet';
      default:
        return `the token's ${err.claim} claim is invalid: ${err.reason}`;
    }
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not accepted';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "no signing key of the issuer matches the token's key id";
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'the token is not a well-formed JWT';
  if (err instanceof joseErrors.JOSENotSupported) return 'the token uses an unsupported algorithm or key type';
  return `the token could not be verified: ${(err as Error).message}`;
}
