// Types of the policy as written (derived from the schema, so they cannot drift from it) and
// of the policy after defaults (what the sidecar and operator work with).
import type { Static } from 'typebox';
import type {
  ApprovalRequestSpecSchema,
  ApprovalStatusSchema,
  ConditionSchema,
  CredentialSchema,
  CustomDetectorSchema,
  NotifyTargetSchema,
  PolicySpecSchema,
  PolicyStatusSchema,
  ToolPinSchema,
  ToolRuleSchema,
  UpstreamSchema,
} from './schema.ts';
import type { BuiltinDetector } from './builtin-detectors.ts';

export type PolicySpec = Static<typeof PolicySpecSchema>;
export type PolicyStatus = Static<typeof PolicyStatusSchema>;
export type Condition = Static<typeof ConditionSchema>;
export type ToolRule = Static<typeof ToolRuleSchema>;
export type ToolPin = Static<typeof ToolPinSchema>;
export type CustomDetector = Static<typeof CustomDetectorSchema>;
export type Upstream = Static<typeof UpstreamSchema>;
export type Credential = Static<typeof CredentialSchema>;
export type ApprovalRequestSpec = Static<typeof ApprovalRequestSpecSchema>;
export type ApprovalStatus = Static<typeof ApprovalStatusSchema>;

export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PolicyObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: PolicySpec;
  status?: PolicyStatus;
}

export interface ApprovalObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: ApprovalRequestSpec;
  status?: ApprovalStatus;
}

export type ResolvedAuthentication =
  | {
      readonly mode: 'oidc';
      readonly issuer: string;
      readonly jwksUri: string | undefined;
      readonly audiences: readonly string[];
      readonly groupsClaim: string;
      readonly requiredScopes: readonly string[];
      readonly allowedOrigins: readonly string[];
    }
  | { readonly mode: 'none'; readonly allowedOrigins: readonly string[] };

export type ResolvedCredential =
  | { readonly kind: 'secret'; readonly secretName: string; readonly key: string; readonly header: string; readonly scheme: string | undefined }
  | { readonly kind: 'workloadIdentity'; readonly scope: string; readonly header: string; readonly scheme: string };

export type NotifyTarget = Static<typeof NotifyTargetSchema>;

export interface ResolvedUpstream {
  readonly name: string;
  readonly url: string;
  readonly region: string;
  readonly credential: ResolvedCredential | undefined;
  readonly caSecret: SecretKeyRef | undefined;
  readonly allowPrivateAddresses: boolean;
}

/** A non-LLM service the pod may reach (egress.destinations). */
export interface ResolvedDestination {
  readonly host: string;
  readonly region: string;
  readonly port: number;
  readonly allowPrivateAddresses: boolean;
}

/** A policy with every default applied; produced only from a policy that validated. */
export interface ResolvedPolicy {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly generation: number | undefined;
  readonly authentication: ResolvedAuthentication;
  readonly tools: {
    readonly default: 'allow' | 'deny';
    readonly rules: readonly ToolRule[];
    readonly pinning: 'off' | 'audit' | 'enforce';
    readonly pins: readonly ToolPin[];
  };
  readonly masking: {
    readonly mode: 'redact' | 'pseudonymize';
    readonly keySecret: SecretKeyRef | undefined;
    readonly detectors: readonly BuiltinDetector[];
    readonly custom: readonly CustomDetector[];
    readonly fields: readonly string[];
  };
  readonly egress: {
    readonly allowedRegions: readonly string[];
    readonly upstreams: readonly ResolvedUpstream[];
    readonly destinations: readonly ResolvedDestination[];
    readonly tunnels: 'allow' | 'deny';
  };
  readonly approval: { readonly approverGroups: readonly string[]; readonly timeoutSeconds: number; readonly notify: readonly NotifyTarget[] } | undefined;
  readonly audit: {
    readonly payloads: 'masked' | 'metadata';
    readonly azureMonitor: { readonly connectionStringSecret: SecretKeyRef; readonly authentication: 'instrumentationKey' | 'workloadIdentity' } | undefined;
  };
}
