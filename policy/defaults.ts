// Every default of the policy, in one place. The schema (and so the CRD, where the API server
// applies them) reads these constants; resolvePolicy() applies them for the sidecar and the
// operator. A test checks that the two agree.
import { BUILTIN_DETECTORS } from './builtin-detectors.ts';
import type { Credential, PolicyObject, ResolvedCredential, ResolvedPolicy } from './types.ts';

export const DEFAULT_AUTH_MODE = 'oidc';
export const DEFAULT_GROUPS_CLAIM = 'groups';
export const DEFAULT_TOOL_ACTION = 'allow';
/** Upgrades change nothing: an existing policy has no pins, and audit would record every tool as new. */
export const DEFAULT_PINNING = 'off';
export const DEFAULT_MASKING_MODE = 'redact';
export const DEFAULT_CREDENTIAL_HEADER = 'Authorization';
export const DEFAULT_TUNNELS = 'allow';
export const DEFAULT_DESTINATION_PORT = 443;
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 300;
/** A tool change waits for review far longer than a held call: nobody is blocked on it. */
export const TOOL_REVIEW_DAYS = 30;
export const DEFAULT_AUDIT_PAYLOADS = 'masked';
export const DEFAULT_AZURE_MONITOR_AUTHENTICATION = 'instrumentationKey';
/** What a workload-identity credential puts before the token. */
export const DEFAULT_TOKEN_SCHEME = 'Bearer';

/**
 * Applies the defaults to a policy that has passed validatePolicy(). Calling it on an
 * unvalidated object is a programming error: it throws rather than guess.
 */
export function resolvePolicy(policy: PolicyObject): ResolvedPolicy {
  const spec = policy.spec;
  const auth = spec.authentication;
  const mode = auth.mode ?? DEFAULT_AUTH_MODE;
  const allowedOrigins = auth.allowedOrigins ?? [];
  let authentication: ResolvedPolicy['authentication'];
  if (mode === 'oidc') {
    if (auth.issuer === undefined || auth.audiences === undefined) {
      throw new Error('resolvePolicy: oidc policy without issuer or audiences; validate it first');
    }
    authentication = {
      mode,
      issuer: auth.issuer,
      jwksUri: auth.jwksUri,
      audiences: auth.audiences,
      groupsClaim: auth.groupsClaim ?? DEFAULT_GROUPS_CLAIM,
      requiredScopes: auth.requiredScopes ?? [],
      allowedOrigins,
    };
  } else {
    authentication = { mode, allowedOrigins };
  }
  const masking = spec.masking ?? {};
  const egress = spec.egress ?? {};
  const audit = spec.audit ?? {};
  return {
    name: policy.metadata.name,
    namespace: policy.metadata.namespace,
    generation: policy.metadata.generation,
    authentication,
    tools: {
      default: spec.tools?.default ?? DEFAULT_TOOL_ACTION,
      rules: spec.tools?.rules ?? [],
      pinning: spec.tools?.pinning ?? DEFAULT_PINNING,
      pins: spec.tools?.pins ?? [],
    },
    masking: {
      mode: masking.mode ?? DEFAULT_MASKING_MODE,
      keySecret: masking.keySecret,
      detectors: masking.detectors ?? BUILTIN_DETECTORS,
      custom: masking.custom ?? [],
      fields: masking.fields ?? [],
    },
    egress: {
      allowedRegions: egress.allowedRegions ?? [],
      upstreams: (egress.upstreams ?? []).map((u) => ({
        name: u.name,
        url: u.url,
        region: u.region,
        credential: resolveCredential(u.credential),
        caSecret: u.caSecret,
        allowPrivateAddresses: u.allowPrivateAddresses ?? false,
      })),
      destinations: (egress.destinations ?? []).map((d) => ({
        host: d.host,
        region: d.region,
        port: d.port ?? DEFAULT_DESTINATION_PORT,
        allowPrivateAddresses: d.allowPrivateAddresses ?? false,
      })),
      tunnels: egress.tunnels ?? DEFAULT_TUNNELS,
    },
    approval: spec.approval && {
      approverGroups: spec.approval.approverGroups,
      timeoutSeconds: spec.approval.timeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS,
      notify: spec.approval.notify ?? [],
    },
    audit: {
      payloads: audit.payloads ?? DEFAULT_AUDIT_PAYLOADS,
      azureMonitor: audit.azureMonitor && {
        connectionStringSecret: audit.azureMonitor.connectionStringSecret,
        authentication: audit.azureMonitor.authentication ?? DEFAULT_AZURE_MONITOR_AUTHENTICATION,
      },
    },
  };
}

function resolveCredential(c: Credential | undefined): ResolvedCredential | undefined {
  if (c === undefined) return undefined;
  const header = c.header ?? DEFAULT_CREDENTIAL_HEADER;
  if (c.workloadIdentity !== undefined) return { kind: 'workloadIdentity', scope: c.workloadIdentity.scope, header, scheme: c.scheme ?? DEFAULT_TOKEN_SCHEME };
  if (c.secretName === undefined || c.key === undefined) throw new Error('resolvePolicy: credential without secretName/key or workloadIdentity; validate it first');
  return { kind: 'secret', secretName: c.secretName, key: c.key, header, scheme: c.scheme };
}
