// Microsoft Entra workload identity: the pod's projected ServiceAccount token (the file AKS's
// workload-identity webhook points AZURE_FEDERATED_TOKEN_FILE at) is exchanged for an Entra ID
// access token by @azure/identity's WorkloadIdentityCredential, which reads AZURE_CLIENT_ID,
// AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST.
//
// @azure/identity (and MSAL under it) loads only when a policy asks for workload identity: a
// sidecar that never uses it does not pay for it in memory or start-up.
import { createRequire } from 'node:module';
import type * as Identity from '@azure/identity';
import type { AccessToken, TokenCredential } from '@azure/identity';

export const WORKLOAD_IDENTITY_ENV = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE'] as const;

/** Refresh this long before expiry, so a request never leaves with a token about to lapse. */
const REFRESH_MARGIN_MS = 5 * 60_000;

export class WorkloadIdentityError extends Error {}

/** Names the variables that are missing; empty when workload identity can be used. */
export function missingWorkloadIdentityEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return WORKLOAD_IDENTITY_ENV.filter((name) => !env[name]);
}

let shared: Promise<TokenCredential> | undefined;

/**
 * The process's one workload-identity credential, made on first use. Errors say what to set,
 * pointing at the pod label and ServiceAccount annotation that make AKS inject it.
 */
export function workloadIdentityCredential(env: NodeJS.ProcessEnv = process.env): Promise<TokenCredential> {
  const missing = missingWorkloadIdentityEnv(env);
  if (missing.length > 0) {
    return Promise.reject(
      new WorkloadIdentityError(
        `workload identity is not set up in this pod: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set ` +
          '(label the pod azure.workload.identity/use: "true" and annotate its ServiceAccount with azure.workload.identity/client-id)',
      ),
    );
  }
  // MSAL asks login.microsoftonline.com to validate any other authority ("instance discovery").
  // For an authority host that is not one of Microsoft's public or sovereign clouds (Azure
  // Stack, a private endpoint, a test) that question has no answer: use the host as given.
  const known = isMicrosoftAuthority(env.AZURE_AUTHORITY_HOST);
  // Read through require (its CommonJS build), as audit/shipper.ts reads the exporter: the ESM
  // build's node:http import loads Node's bundled undici and web streams, ~11 MB of RSS.
  shared ??= Promise.resolve().then(() => {
    const { WorkloadIdentityCredential } = createRequire(import.meta.url)('@azure/identity') as typeof Identity;
    return new WorkloadIdentityCredential({
      clientId: env.AZURE_CLIENT_ID,
      tenantId: env.AZURE_TENANT_ID,
      tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE,
      ...(env.AZURE_AUTHORITY_HOST ? { authorityHost: env.AZURE_AUTHORITY_HOST } : {}),
      ...(known ? {} : { disableInstanceDiscovery: true }),
    });
  });
  return shared;
}

const MICROSOFT_AUTHORITY_HOSTS = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.microsoftonline.de']);

/** Whether AZURE_AUTHORITY_HOST (unset: the public cloud) is a cloud MSAL's instance discovery knows. */
export function isMicrosoftAuthority(host: string | undefined): boolean {
  if (host === undefined || host === '') return true;
  try {
    return MICROSOFT_AUTHORITY_HOSTS.has(new URL(host).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/**
 * Access tokens per scope, fetched on demand and refreshed before they expire; one fetch at a
 * time per scope. A failure is not kept: the next request tries again.
 */
export class EntraTokens {
  readonly #credential: () => Promise<TokenCredential>;
  readonly #now: () => number;
  readonly #tokens = new Map<string, AccessToken>();
  readonly #pending = new Map<string, Promise<AccessToken>>();

  constructor(credential: () => Promise<TokenCredential> = () => workloadIdentityCredential(), now: () => number = Date.now) {
    this.#credential = credential;
    this.#now = now;
  }

  async token(scope: string): Promise<string> {
    const have = this.#tokens.get(scope);
    const refreshAt = have && (have.refreshAfterTimestamp ?? have.expiresOnTimestamp - REFRESH_MARGIN_MS);
    if (have !== undefined && refreshAt !== undefined && this.#now() < refreshAt) return have.token;
    let pending = this.#pending.get(scope);
    if (pending === undefined) {
      pending = this.#fetch(scope).finally(() => this.#pending.delete(scope));
      this.#pending.set(scope, pending);
    }
    try {
      return (await pending).token;
    } catch (err) {
      // A token still valid (only due for refresh) is better than failing the request.
      if (have !== undefined && this.#now() < have.expiresOnTimestamp) return have.token;
      throw err;
    }
  }

  async #fetch(scope: string): Promise<AccessToken> {
    let t: AccessToken | null;
    try {
      t = await (await this.#credential()).getToken(scope);
    } catch (err) {
      throw new WorkloadIdentityError(`cannot get a Microsoft Entra ID token for ${scope}: ${firstLine((err as Error).message)}`, { cause: err });
    }
    if (t === null) throw new WorkloadIdentityError(`Microsoft Entra ID gave no token for ${scope}`);
    this.#tokens.set(scope, t);
    return t;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 500);
}
