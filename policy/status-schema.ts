// The parts of the API the operator writes and the approval resource: the policy's status
// subresource, MCPApproval (held calls and tool reviews) and both printer-column lists. The
// policy spec itself is in schema.ts; crd.ts derives both CRDs from the two.
import Type from 'typebox';
import { DNS_SUBDOMAIN } from './names.ts';
import { ShortString, strictObject, StringEnum, StringList } from './schema-builders.ts';

export const ConditionSchema = Type.Object(
  {
    type: ShortString('Condition type, e.g. Ready.', 316),
    status: StringEnum(['True', 'False', 'Unknown']),
    reason: Type.Optional(ShortString('CamelCase reason.', 1024)),
    message: Type.Optional(Type.String({ maxLength: 32768 })),
    lastTransitionTime: Type.Optional(Type.String({ format: 'date-time' })),
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0, format: 'int64' })),
  },
  strictObject,
);

const Conditions = Type.Array(ConditionSchema, {
  maxItems: 16,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

export const PolicyStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0, format: 'int64' })),
    conditions: Type.Optional(Conditions),
    enforcingPods: Type.Optional(Type.Integer({ minimum: 0, description: 'Running pods whose sidecar enforces this policy.' })),
    unprotectedPods: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Pods that name this policy but run without the sidecar.' }),
    ),
    toolsPendingReview: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Changed or new tool definitions waiting for an approver (pending MCPApprovals of kind tool).' }),
    ),
  },
  strictObject,
);

export const ApprovalRequestSpecSchema = Type.Object(
  {
    kind: Type.Optional(
      StringEnum(['call', 'tool'], {
        description:
          'call: one held tool call (argumentsDigest is its arguments). tool: a changed or new tool definition (argumentsDigest is its fingerprint, arguments the masked definition and diff); approving pins it for every pod of the policy.',
        default: 'call',
      }),
    ),
    policy: Type.String({ description: 'The MCPResidencyPolicy that held the call.', pattern: DNS_SUBDOMAIN, maxLength: 253 }),
    pod: Type.Optional(ShortString('The pod whose sidecar holds the call.', 253)),
    tool: ShortString('The tool called.', 256),
    arguments: Type.String({ description: 'The call\'s arguments as JSON, masked.', maxLength: 65536 }),
    argumentsDigest: Type.String({
      description: 'sha256:<hex> of the exact arguments (canonical JSON). A decision applies only to this digest.',
      pattern: '^sha256:[0-9a-f]{64}$',
    }),
    requester: Type.Object(
      {
        sub: ShortString('The `sub` of the caller.', 1024),
        groups: Type.Optional(StringList('The caller\'s groups.', 256)),
      },
      strictObject,
    ),
    requestedAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  {
    ...strictObject,
    'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'spec is immutable: an approval is bound to one exact call' }],
  },
);

export const ApprovalStatusSchema = Type.Object(
  {
    phase: Type.Optional(StringEnum(['Pending', 'Approved', 'Rejected', 'Expired', 'Abandoned', 'Used'])),
    decidedBy: Type.Optional(ShortString('Who approved or rejected.', 1024)),
    decidedAt: Type.Optional(Type.String({ format: 'date-time' })),
    reason: Type.Optional(Type.String({ maxLength: 4096 })),
    argumentsDigest: Type.Optional(
      Type.String({ description: 'The digest the decision was made for.', pattern: '^sha256:[0-9a-f]{64}$' }),
    ),
  },
  strictObject,
);

/** Printer columns, kept beside the schemas they read. */
export const POLICY_PRINTER_COLUMNS = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Auth', type: 'string', jsonPath: '.spec.authentication.mode' },
  { name: 'Masking', type: 'string', jsonPath: '.spec.masking.mode' },
  { name: 'Enforcing', type: 'integer', jsonPath: '.status.enforcingPods' },
  { name: 'Unprotected', type: 'integer', jsonPath: '.status.unprotectedPods' },
  { name: 'Tools-Review', type: 'integer', jsonPath: '.status.toolsPendingReview' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
] as const;

export const APPROVAL_PRINTER_COLUMNS = [
  { name: 'Kind', type: 'string', jsonPath: '.spec.kind' },
  { name: 'Tool', type: 'string', jsonPath: '.spec.tool' },
  { name: 'Requester', type: 'string', jsonPath: '.spec.requester.sub' },
  { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
  { name: 'Decided-By', type: 'string', jsonPath: '.status.decidedBy', priority: 1 },
  { name: 'Expires', type: 'date', jsonPath: '.spec.expiresAt' },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
] as const;
