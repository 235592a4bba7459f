// Every default of the policy, in one place. The schema (and so the CRD, where the API server
// applies them) reads these constants; resolvePolicy() applies them for the sidecar and the
// operator. A test checks that the two agree.
import { BUILTIN_DETECTORS } from './builtin-detectors.ts';
import type { PolicyObject, ResolvedPolicy } from './types.ts';

export const DEFAULT_AUTH_MODE = 'oidc';
export const DEFAULT_GROUPS_CLAIM = 'groups';
export const DEFAULT_TOOL_ACTION = 'allow';
export const DEFAULT_MASKING_MODE = 'redact';
export const DEFAULT_CREDENTIAL_HEADER = 'Authorization';
export const DEFAULT_TUNNELS = 'allow';
export const DEFAULT_DESTINATION_PORT = 443;
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 300;
export const DEFAULT_AUDIT_PAYLOADS = 'masked';

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
    tools: { default: spec.tools?.default ?? DEFAULT_TOOL_ACTION, rules: spec.tools?.rules ?? [] },
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
        credential: u.credential && {
          secretName: u.credential.secretName,
          key: u.credential.key,
          header: u.credential.header ?? DEFAULT_CREDENTIAL_HEADER,
          scheme: u.credential.scheme,
        },
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
    },
    audit: { payloads: audit.payloads ?? DEFAULT_AUDIT_PAYLOADS, azureMonitor: audit.azureMonitor },
  };
}
