// The MCPResidencyPolicy and MCPApproval v1alpha1 schemas, written once.
//
// Three things are derived from these objects so they cannot drift apart:
//   - the TypeScript types (`Static<typeof ...>`, see types.ts),
//   - the structural checks of `policy validate` and the admission webhook (structure.ts),
//   - the CRD manifests in crds/ (crd.ts, `make crds`; a test fails when crds/ is stale).
// Rules a schema cannot say (regex safety, known regions, URL schemes ...) live in validate.ts,
// and the few that CEL can say are repeated here as x-kubernetes-validations so that
// `kubectl apply` refuses them even without the webhook.
//
// Only the structural subset of OpenAPI v3 that Kubernetes accepts is used: no anyOf/oneOf,
// every object property typed, enums as `type: string` + `enum`. Every array and string has a
// bound, which CEL cost estimation needs and which keeps hostile policies small.
import Type from 'typebox';
import {
  DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  DEFAULT_AUDIT_PAYLOADS,
  DEFAULT_AUTH_MODE,
  DEFAULT_AZURE_MONITOR_AUTHENTICATION,
  DEFAULT_CREDENTIAL_HEADER,
  DEFAULT_DESTINATION_PORT,
  DEFAULT_GROUPS_CLAIM,
  DEFAULT_MASKING_MODE,
  DEFAULT_PINNING,
  DEFAULT_TOOL_ACTION,
  DEFAULT_TUNNELS,
} from './defaults.ts';
import { BUILTIN_DETECTORS } from './builtin-detectors.ts';
import { CUSTOM_TYPE_NAME, DNS_LABEL, DNS_SUBDOMAIN, HEADER_NAME, SECRET_KEY } from './names.ts';

export { API_GROUP, API_VERSION, APPROVAL_KIND, CUSTOM_TYPE_NAME, DNS_LABEL, DNS_SUBDOMAIN, HEADER_NAME, POLICY_KIND, SECRET_KEY } from './names.ts';
// What the operator writes (status) and the MCPApproval resource live in status-schema.ts.
export { APPROVAL_PRINTER_COLUMNS, ApprovalRequestSpecSchema, ApprovalStatusSchema, ConditionSchema, POLICY_PRINTER_COLUMNS, PolicyStatusSchema } from './status-schema.ts';


import { secretKeyRef, ShortString, strictObject, StringEnum, StringList, Url } from './schema-builders.ts';

export const AuthenticationSchema = Type.Object(
  {
    mode: Type.Optional(
      StringEnum(['oidc', 'none'], {
        description: 'oidc: every request needs a valid bearer token. none: no authentication; only when set explicitly.',
        default: DEFAULT_AUTH_MODE,
      }),
    ),
    issuer: Type.Optional(Url('OIDC issuer URL (the `iss` claim). Required when mode is oidc.')),
    jwksUri: Type.Optional(Url('JWKS URL. Discovered from the issuer\'s /.well-known/openid-configuration when omitted.')),
    audiences: Type.Optional(StringList('Accepted `aud` values (RFC 8707 resource indicators). At least one when mode is oidc.', 16, 2048)),
    groupsClaim: Type.Optional(
      Type.String({ description: 'Token claim holding the caller\'s groups.', minLength: 1, maxLength: 128, default: DEFAULT_GROUPS_CLAIM }),
    ),
    requiredScopes: Type.Optional(StringList('Scopes every token must carry; otherwise 403 insufficient_scope.', 32)),
    allowedOrigins: Type.Optional(
      StringList(
        'Further browser origins allowed to call the gateway (DNS-rebinding protection). Same-origin requests, and loopback origins on a loopback connection, pass without being listed; requests without an Origin header are not affected.',
        32,
        2048,
      ),
    ),
  },
  {
    ...strictObject,
    description: 'Who may call the MCP server. Required: authentication is never off by omission.',
    'x-kubernetes-validations': [
      {
        rule: "(has(self.mode) && self.mode == 'none') || (has(self.issuer) && has(self.audiences) && size(self.audiences) > 0)",
        message: 'mode oidc needs an issuer and at least one audience',
      },
    ],
  },
);

export const ToolRuleSchema = Type.Object(
  {
    name: ShortString('Glob on the tool name: `*` any run, `?` one character, `[a-z]` a class, `\\` escapes.', 128),
    groups: Type.Optional(StringList('The rule applies only to callers in one of these groups. Omitted: everyone.', 32)),
    action: StringEnum(['allow', 'deny', 'approve'], {
      description: 'allow; deny (hidden from tools/list, calls refused); approve (held until an approver decides).',
    }),
  },
  { ...strictObject, description: 'A tool rule. Rules are tried in order; the first match decides.' },
);

/** sha256:<64 hex>: the form of argument digests and tool fingerprints. */
const SHA256 = '^sha256:[0-9a-f]{64}$';

export const ToolPinSchema = Type.Object(
  {
    name: ShortString('The tool name, exactly as the server lists it.', 256),
    fingerprint: Type.String({
      description: 'sha256:<hex> of the canonical JSON (RFC 8785) of the reviewed definition: name, title, description, inputSchema, outputSchema, annotations.',
      pattern: SHA256,
    }),
  },
  { ...strictObject, description: 'A reviewed tool definition (`mcp-residency tools pin` writes these).' },
);

export const ToolsSchema = Type.Object(
  {
    default: Type.Optional(
      StringEnum(['allow', 'deny'], { description: 'What happens to a tool no rule matches.', default: DEFAULT_TOOL_ACTION }),
    ),
    rules: Type.Optional(Type.Array(ToolRuleSchema, { description: 'First match wins.', maxItems: 256, default: [] })),
    pinning: Type.Optional(
      StringEnum(['off', 'audit', 'enforce'], {
        description:
          'Rug-pull defence. off: definitions pass as the server sends them. audit: a definition that differs from its pin (or has none) is recorded, nothing else changes. enforce: such a tool is hidden from tools/list and its calls are refused until its definition is approved.',
        default: DEFAULT_PINNING,
      }),
    ),
    pins: Type.Optional(
      Type.Array(ToolPinSchema, {
        description: 'Reviewed tool definitions (GitOps). In a cluster, approved MCPApprovals of kind tool pin too.',
        maxItems: 1024,
        default: [],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
  },
  { ...strictObject, description: 'Which tools each caller may use.', default: {} },
);

export const CustomDetectorSchema = Type.Object(
  {
    name: Type.String({
      description: 'The TYPE in masking tokens, e.g. EMPLOYEE_ID gives [EMPLOYEE_ID].',
      pattern: CUSTOM_TYPE_NAME,
      minLength: 1,
      maxLength: 32,
    }),
    pattern: Type.String({
      description: 'ECMAScript regular expression. Runs on a linear-time engine: no backreferences or lookaround.',
      minLength: 1,
      maxLength: 1024,
    }),
  },
  strictObject,
);

export const MaskingSchema = Type.Object(
  {
    mode: Type.Optional(
      StringEnum(['redact', 'pseudonymize'], {
        description: 'redact: [EMAIL]. pseudonymize: [EMAIL_3fa9c2d1], a keyed HMAC, stable per key.',
        default: DEFAULT_MASKING_MODE,
      }),
    ),
    keySecret: Type.Optional(secretKeyRef('HMAC key for pseudonymize mode.')),
    detectors: Type.Optional(
      Type.Array(StringEnum(BUILTIN_DETECTORS), {
        description: 'Built-in detectors to run. Default: all of them.',
        maxItems: BUILTIN_DETECTORS.length,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    custom: Type.Optional(
      Type.Array(CustomDetectorSchema, {
        description: 'Extra detectors defined by a pattern.',
        maxItems: 64,
        default: [],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    fields: Type.Optional(StringList('JSONPath expressions ($.customer.taxId, $.items[*].iban, $..ssn) whose whole value is always masked.', 64, 512)),
  },
  {
    ...strictObject,
    description: 'Personal data masking in tool results, prompts and audit records.',
    default: {},
    'x-kubernetes-validations': [
      { rule: "!has(self.mode) || self.mode != 'pseudonymize' || has(self.keySecret)", message: 'pseudonymize mode needs keySecret' },
    ],
  },
);

export const CredentialSchema = Type.Object(
  {
    secretName: Type.Optional(Type.String({ description: 'Secret holding the credential.', pattern: DNS_SUBDOMAIN, minLength: 1, maxLength: 253 })),
    key: Type.Optional(Type.String({ description: 'Key inside the Secret.', pattern: SECRET_KEY, minLength: 1, maxLength: 253 })),
    workloadIdentity: Type.Optional(
      Type.Object(
        { scope: Type.String({ description: 'The token\'s scope, e.g. https://cognitiveservices.azure.com/.default.', minLength: 1, maxLength: 512 }) },
        {
          ...strictObject,
          description:
            'A Microsoft Entra ID token for this scope, from the pod\'s workload identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE), sent as "Authorization: Bearer"; instead of secretName and key.',
        },
      ),
    ),
    header: Type.Optional(
      Type.String({ description: 'Request header that carries it.', pattern: HEADER_NAME, maxLength: 128, default: DEFAULT_CREDENTIAL_HEADER }),
    ),
    scheme: Type.Optional(ShortString('Prefix for the header value, e.g. Bearer (then the header is "Bearer <secret>").', 32)),
  },
  {
    ...strictObject,
    description: 'A credential the sidecar holds and adds; the application never sees it. Either secretName and key, or workloadIdentity.',
    'x-kubernetes-validations': [
      { rule: 'has(self.workloadIdentity) != has(self.secretName)', message: 'give either secretName and key, or workloadIdentity' },
      { rule: 'has(self.secretName) == has(self.key)', message: 'secretName and key go together' },
    ],
  },
);

export const UpstreamSchema = Type.Object(
  {
    name: Type.String({ description: 'Route name: http://127.0.0.1:15081/<name>/<path>.', pattern: DNS_LABEL, minLength: 1, maxLength: 63 }),
    url: Url('Base URL. https, or http for loopback only.'),
    region: ShortString('Where the provider processes the data: a region from the catalog.', 64),
    credential: Type.Optional(CredentialSchema),
    caSecret: Type.Optional(secretKeyRef('Extra CA bundle (PEM) trusted for this upstream, e.g. a private endpoint.')),
    allowPrivateAddresses: Type.Optional(
      Type.Boolean({ description: 'Allow this upstream to resolve to private, loopback or link-local addresses (private endpoints).', default: false }),
    ),
  },
  strictObject,
);

export const DestinationSchema = Type.Object(
  {
    host: Type.String({
      description: 'DNS name of the service, exactly as the application dials it (the TLS SNI or HTTP Host).',
      pattern: DNS_SUBDOMAIN,
      minLength: 1,
      maxLength: 253,
    }),
    region: ShortString('Where the service processes the data: a region from the catalog.', 64),
    port: Type.Optional(
      Type.Integer({
        description: 'The port the sidecar connects to (a captured connection does not say which port was dialled).',
        minimum: 1,
        maximum: 65535,
        default: DEFAULT_DESTINATION_PORT,
      }),
    ),
    allowPrivateAddresses: Type.Optional(
      Type.Boolean({ description: 'Allow this host to resolve to private, loopback or link-local addresses.', default: false }),
    ),
  },
  { ...strictObject, description: 'A service that is not an LLM provider (e.g. a SaaS API): passed through unmasked when its region is allowed, and audited.' },
);

export const EgressSchema = Type.Object(
  {
    allowedRegions: Type.Optional(
      StringList('Regions and geographies (eu, eea, us, ...) calls may go to. Empty: none.', 64, 64),
    ),
    upstreams: Type.Optional(
      Type.Array(UpstreamSchema, {
        description: 'LLM providers the MCP server may call.',
        maxItems: 64,
        default: [],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    destinations: Type.Optional(
      Type.Array(DestinationSchema, {
        description: 'Other services the MCP server may call (captured traffic and CONNECT): allowed when their region is, passed through and audited.',
        maxItems: 256,
        default: [],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['host'],
      }),
    ),
    tunnels: Type.Optional(
      StringEnum(['allow', 'deny'], {
        description: 'Whether CONNECT tunnels to allowed upstream hosts are permitted. A tunnel cannot be masked; it is audited as such.',
        default: DEFAULT_TUNNELS,
      }),
    ),
  },
  { ...strictObject, description: 'Outbound calls from the MCP server to LLM providers.', default: {} },
);

export const NotifyTargetSchema = Type.Object(
  {
    type: StringEnum(['teams', 'webhook'], {
      description: 'teams: a Microsoft Teams Workflows or incoming-webhook URL (an Adaptive Card). webhook: any URL taking a JSON POST with a Slack-compatible "text".',
    }),
    urlSecret: secretKeyRef('The URL to post to (it holds its own key, so it lives in a Secret).'),
  },
  strictObject,
);

export const ApprovalSchema = Type.Object(
  {
    approverGroups: StringList('Groups whose members may approve or reject held calls.', 32, 256, 1),
    timeoutSeconds: Type.Optional(
      Type.Integer({ description: 'How long a held call waits for a decision.', minimum: 10, maximum: 86400, default: DEFAULT_APPROVAL_TIMEOUT_SECONDS }),
    ),
    notify: Type.Optional(
      Type.Array(NotifyTargetSchema, {
        description: 'Where a held call is announced (who asked, the tool, masked arguments, expiry, the approve and deny commands) and its decision posted. Failing to notify never decides a call.',
        maxItems: 8,
        default: [],
      }),
    ),
  },
  { ...strictObject, description: 'Who decides on calls held by `approve` rules.' },
);

export const AuditSchema = Type.Object(
  {
    payloads: Type.Optional(
      StringEnum(['masked', 'metadata'], {
        description: 'masked: arguments and results are recorded, masked. metadata: only who, what, when and the decision.',
        default: DEFAULT_AUDIT_PAYLOADS,
      }),
    ),
    azureMonitor: Type.Optional(
      Type.Object(
        {
          connectionStringSecret: secretKeyRef('Application Insights connection string.'),
          authentication: Type.Optional(
            StringEnum(['instrumentationKey', 'workloadIdentity'], {
              description:
                'instrumentationKey: the connection string\'s key authenticates. workloadIdentity: a Microsoft Entra ID token from the pod\'s workload identity (for resources with local authentication disabled); the connection string still names the resource and region.',
              default: DEFAULT_AZURE_MONITOR_AUTHENTICATION,
            }),
          ),
        },
        { ...strictObject, description: 'Ship audit records to Azure Monitor.' },
      ),
    ),
  },
  { ...strictObject, description: 'The audit record.', default: {} },
);

export const PolicySpecSchema = Type.Object(
  {
    authentication: AuthenticationSchema,
    tools: Type.Optional(ToolsSchema),
    masking: Type.Optional(MaskingSchema),
    egress: Type.Optional(EgressSchema),
    approval: Type.Optional(ApprovalSchema),
    audit: Type.Optional(AuditSchema),
  },
  {
    ...strictObject,
    description: 'What the mcp-residency sidecar enforces for the pods that name this policy.',
    'x-kubernetes-validations': [
      {
        rule: "!has(self.tools) || !has(self.tools.rules) || !self.tools.rules.exists(r, r.action == 'approve') || has(self.approval)",
        message: 'tools.rules with action approve need approval.approverGroups',
      },
    ],
  },
);
