// Everything the sidecar derives from one policy (compiled tool rules, the masker with its key,
// the token verifier), built together so a policy change swaps them at once. A policy that
// cannot be built (missing key, unreachable nothing else) leaves the sidecar refusing traffic.
import type { Logger } from '../../lib/log.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import { JwksCache } from '../inbound/auth/jwks.ts';
import { TokenVerifier } from '../inbound/auth/verifier.ts';
import type { Engines } from '../inbound/messages.ts';
import { ToolPolicy } from '../inbound/tool-policy.ts';
import { Masker, maskingConfigFromPolicy } from '../masking/engine.ts';
import { readSecret, secretPath } from './secrets.ts';

export interface PolicyRuntime {
  readonly policy: ResolvedPolicy;
  readonly engines: Engines;
  readonly verifier: TokenVerifier | undefined;
  readonly jwks: JwksCache | undefined;
  /** Secret files this runtime was built from: a change to one rebuilds it (rotation). */
  readonly secretFiles: readonly string[];
}

export type PolicyState = { readonly ok: true; readonly runtime: PolicyRuntime } | { readonly ok: false; readonly reason: string };

export interface RuntimeDeps {
  readonly secretsDir: string | undefined;
  readonly logger: Logger;
  /** Reused across policy updates while issuer and JWKS URI stay the same. */
  readonly previous?: PolicyRuntime | undefined;
  readonly fetch?: typeof fetch;
  /** Least time between JWKS refetches caused by unknown key ids. */
  readonly unknownKidCooldownMs?: number;
}

export async function buildRuntime(policy: ResolvedPolicy, deps: RuntimeDeps): Promise<PolicyRuntime> {
  const keyRef = policy.masking.mode === 'pseudonymize' ? policy.masking.keySecret : undefined;
  const key = keyRef ? await readSecret(deps.secretsDir, keyRef.name, keyRef.key) : undefined;
  const secretFiles = keyRef && deps.secretsDir !== undefined ? [secretPath(deps.secretsDir, keyRef.name, keyRef.key)] : [];
  const masker = new Masker(maskingConfigFromPolicy(policy.masking, key));
  const tools = new ToolPolicy(policy.tools);
  let jwks: JwksCache | undefined;
  let verifier: TokenVerifier | undefined;
  const auth = policy.authentication;
  if (auth.mode === 'oidc') {
    const prev = deps.previous;
    const prevAuth = prev?.policy.authentication;
    if (prev?.jwks && prevAuth?.mode === 'oidc' && prevAuth.issuer === auth.issuer && prevAuth.jwksUri === auth.jwksUri) {
      jwks = prev.jwks;
    } else {
      jwks = new JwksCache({
        issuer: auth.issuer,
        jwksUri: auth.jwksUri,
        logger: deps.logger,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        ...(deps.unknownKidCooldownMs !== undefined ? { unknownKidCooldownMs: deps.unknownKidCooldownMs } : {}),
      });
      void jwks.start();
    }
    verifier = new TokenVerifier(auth, jwks);
  }
  return { policy, engines: { masker, tools }, verifier, jwks, secretFiles };
}

/** Stops what a runtime started, unless the next runtime took it over. */
export function retireRuntime(old: PolicyRuntime, next: PolicyRuntime | undefined): void {
  if (old.jwks && old.jwks !== next?.jwks) old.jwks.stop();
}
