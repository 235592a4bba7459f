// The Secrets the egress gateway uses (credentials, CA bundles), read from the mounted-Secret
// directory and kept for a few seconds: Kubernetes rotates a mounted Secret by swapping files,
// so a short cache picks a rotation up promptly without a file read on every request.
// Values are never logged; errors name the Secret, never its content.
import type { ResolvedUpstream } from '../../policy/types.ts';
import type { EntraTokens } from '../identity/workload.ts';
import { readSecret, secretText } from '../policy/secrets.ts';
import { credentialValue, type Credential } from './headers.ts';

interface Entry {
  readonly value: Promise<Buffer>;
  readonly expires: number;
}

export class SecretCache {
  readonly #dir: string | undefined;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(dir: string | undefined, ttlMs: number, now: () => number = Date.now) {
    this.#dir = dir;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  read(name: string, key: string): Promise<Buffer> {
    const id = `${name}/${key}`;
    const now = this.#now();
    const hit = this.#entries.get(id);
    if (hit !== undefined && hit.expires > now) return hit.value;
    const value = readSecret(this.#dir, name, key);
    this.#entries.set(id, { value, expires: now + this.#ttlMs });
    // A failed read is not kept: the next request tries again.
    value.catch(() => {
      if (this.#entries.get(id)?.value === value) this.#entries.delete(id);
    });
    return value;
  }
}

/** An upstream's credential and CA bundle, from its Secrets. Errors name the Secret and say nothing was sent. */
export class UpstreamSecrets {
  readonly #cache: SecretCache;
  #tokens: EntraTokens | undefined;

  constructor(cache: SecretCache) {
    this.#cache = cache;
  }

  async credential(upstream: ResolvedUpstream): Promise<Credential | undefined> {
    const c = upstream.credential;
    if (c === undefined) return undefined;
    if (c.kind === 'workloadIdentity') return this.#entraToken(upstream.name, c.scope, c.header, c.scheme);
    let secret: string;
    try {
      secret = secretText(await this.#cache.read(c.secretName, c.key));
    } catch (err) {
      throw new Error(`the credential of upstream ${upstream.name} is unavailable: ${(err as Error).message}; nothing was sent`, { cause: err });
    }
    const value = credentialValue(secret, c.scheme);
    if (value === undefined) throw new Error(`the credential of upstream ${upstream.name} (secret ${c.secretName}/${c.key}) is empty or holds control characters; nothing was sent`);
    return { header: c.header, value, secret };
  }

  /** An Entra ID token from the pod's workload identity; the identity stack loads on the first such upstream. */
  async #entraToken(upstream: string, scope: string, header: string, scheme: string): Promise<Credential> {
    let token: string;
    try {
      if (this.#tokens === undefined) {
        const { EntraTokens } = await import('../identity/workload.ts');
        this.#tokens ??= new EntraTokens();
      }
      token = await this.#tokens.token(scope);
    } catch (err) {
      throw new Error(`the credential of upstream ${upstream} is unavailable: ${(err as Error).message}; nothing was sent`, { cause: err });
    }
    const value = credentialValue(token, scheme);
    if (value === undefined) throw new Error(`the Entra ID token for upstream ${upstream} is unusable; nothing was sent`);
    return { header, value, secret: token };
  }

  /** PEM CAs trusted for the upstream on top of the system's: `extra` and its caSecret; undefined for the system's alone. */
  async ca(upstream: ResolvedUpstream, extra: string | undefined): Promise<string | undefined> {
    const ref = upstream.caSecret;
    if (ref === undefined) return extra;
    let pem: string;
    try {
      pem = (await this.#cache.read(ref.name, ref.key)).toString('utf8');
    } catch (err) {
      throw new Error(`the CA bundle of upstream ${upstream.name} is unavailable: ${(err as Error).message}; nothing was sent`, { cause: err });
    }
    return extra === undefined ? pem : `${extra}\n${pem}`;
  }
}
