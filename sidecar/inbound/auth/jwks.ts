// The issuer's signing keys, fetched once, refreshed in the background and on an unknown kid.
//
// jose's createRemoteJWKSet has no stale fallback: when a refresh fails after its max age,
// every verification fails with it. An identity provider's hiccup must not take every MCP
// server down, so this cache keeps the last good key set, refreshes it on a timer, refetches
// early (rate-limited) when a token names a kid it has not seen (key rotation), and only
// reports not-ready before the first successful fetch.
//
// jose itself loads with the first token to verify (about 10 MB of an idle sidecar's RSS,
// issue 17): the fetched key set is kept as JSON and turned into jose's key resolver then.
import type { createLocalJWKSet, JSONWebKeySet, JWSHeaderParameters, FlattenedJWSInput } from 'jose';
import type { Logger } from '../../../lib/log.ts';
import type { HealthState } from '../../admin/readiness.ts';
import { getJson } from '../../http/get-json.ts';

export interface JwksCacheOptions {
  readonly issuer: string;
  /** Discovered from the issuer's metadata when omitted. */
  readonly jwksUri?: string | undefined;
  readonly refreshIntervalMs?: number;
  /** Least time between two fetches caused by unknown kids (a token flood must not DoS the IdP). */
  readonly unknownKidCooldownMs?: number;
  readonly timeoutMs?: number;
  readonly logger: Logger;
  /** How to fetch the metadata and keys (default: node:http(s), see get-json.ts). */
  readonly fetch?: typeof fetch;
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;
type ResolvedKey = Awaited<ReturnType<KeyResolver>>;

export class JwksCache {
  readonly #opts: Required<Omit<JwksCacheOptions, 'jwksUri' | 'fetch'>> & { fetch: typeof fetch | undefined };
  #jwksUri: string | undefined;
  #set: JSONWebKeySet | undefined;
  /** jose's resolver for #set, built on first use (and again after a fetch replaced #set). */
  #keys: { readonly set: JSONWebKeySet; readonly resolve: KeyResolver } | undefined;
  #lastFetch = 0;
  #lastError: string | undefined;
  #inflight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: JwksCacheOptions) {
    this.#opts = {
      issuer: options.issuer,
      refreshIntervalMs: options.refreshIntervalMs ?? 10 * 60_000,
      unknownKidCooldownMs: options.unknownKidCooldownMs ?? 30_000,
      timeoutMs: options.timeoutMs ?? 5_000,
      logger: options.logger,
      fetch: options.fetch,
    };
    this.#jwksUri = options.jwksUri;
  }

  /** First fetch, then periodic refresh; a failed first fetch is retried until it works. */
  start(): Promise<void> {
    const first = this.refresh();
    const schedule = (): void => {
      // Retry quickly until the first success, then settle into the refresh interval.
      const delay = this.#set === undefined ? Math.min(5_000, this.#opts.refreshIntervalMs) : this.#opts.refreshIntervalMs;
      this.#timer = setTimeout(() => {
        void this.refresh().finally(schedule);
      }, delay);
      this.#timer.unref();
    };
    return first.finally(schedule);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  health(): HealthState {
    if (this.#set !== undefined) return { ok: true };
    return { ok: false, reason: `signing keys of ${this.#opts.issuer} not loaded yet${this.#lastError ? `: ${this.#lastError}` : ''}` };
  }

  /** A key function for jose's jwtVerify. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<ResolvedKey> => {
    if (this.#set === undefined) await this.refresh();
    try {
      return await (await this.#resolver())(header, token);
    } catch (err) {
      // A kid we have not seen may be a freshly rotated key: look again, but not too often.
      if ((err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY') throw err;
      if (Date.now() - this.#lastFetch < this.#opts.unknownKidCooldownMs) throw err;
      await this.refresh();
      return (await this.#resolver())(header, token);
    }
  };

  async #resolver(): Promise<KeyResolver> {
    const { createLocalJWKSet } = await import('jose');
    const set = this.#set;
    if (set === undefined) throw new Error(`signing keys of ${this.#opts.issuer} are unavailable: ${this.#lastError ?? 'not fetched'}`);
    if (this.#keys?.set !== set) this.#keys = { set, resolve: createLocalJWKSet(set) };
    return this.#keys.resolve;
  }

  /** Fetches the key set now (deduplicated); keeps the previous one when it fails. */
  refresh(): Promise<void> {
    this.#inflight ??= this.#fetchKeys().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  async #fetchKeys(): Promise<void> {
    this.#lastFetch = Date.now();
    try {
      const uri = this.#jwksUri ?? (await this.#discover());
      const jwks = await this.#getJson(uri);
      if (!Array.isArray((jwks as JSONWebKeySet).keys)) throw new Error(`${uri} is not a JWK Set (no "keys" array)`);
      // What jose's createLocalJWKSet checked when it ran here: a set of keys that are objects.
      if (!(jwks as JSONWebKeySet).keys.every((k: unknown) => typeof k === 'object' && k !== null && !Array.isArray(k))) {
        throw new Error(`${uri} is not a JWK Set (a key is not an object)`);
      }
      this.#set = jwks as JSONWebKeySet;
      if (this.#lastError !== undefined) this.#opts.logger.info('signing keys loaded', { issuer: this.#opts.issuer, keys: (jwks as JSONWebKeySet).keys.length });
      this.#lastError = undefined;
    } catch (err) {
      this.#lastError = (err as Error).message;
      this.#opts.logger.warn(this.#keys ? 'signing key refresh failed; keeping the last good keys' : 'cannot load signing keys', {
        issuer: this.#opts.issuer,
        error: this.#lastError,
      });
    }
  }

  async #discover(): Promise<string> {
    const base = this.#opts.issuer.replace(/\/$/u, '');
    const meta = (await this.#getJson(`${base}/.well-known/openid-configuration`)) as { jwks_uri?: unknown; issuer?: unknown };
    if (typeof meta.jwks_uri !== 'string') throw new Error(`${base}/.well-known/openid-configuration has no jwks_uri`);
    // RFC 8414 section 3.3: the metadata must be about the issuer we were told to trust.
    if (typeof meta.issuer === 'string' && meta.issuer.replace(/\/$/u, '') !== base) {
      throw new Error(`issuer metadata names issuer ${meta.issuer}, not ${this.#opts.issuer}`);
    }
    this.#jwksUri = meta.jwks_uri;
    return meta.jwks_uri;
  }

  async #getJson(url: string): Promise<unknown> {
    if (this.#opts.fetch === undefined) return getJson(url, this.#opts.timeoutMs);
    const res = await this.#opts.fetch(url, { signal: AbortSignal.timeout(this.#opts.timeoutMs), redirect: 'error', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
    return res.json();
  }
}
