// The CustomResourceDefinitions, generated from the schemas in schema.ts. `make crds` writes
// them to crds/; a test fails when the files there differ from what this produces.
import type { TSchema } from 'typebox';
import { stringify } from 'yaml';
import { APPROVALS, POLICIES, type Resource } from '../kube/resources.ts';
import { APPROVAL_PRINTER_COLUMNS, ApprovalRequestSpecSchema, ApprovalStatusSchema, POLICY_PRINTER_COLUMNS, PolicySpecSchema, PolicyStatusSchema } from './schema.ts';

/** The keywords a structural schema may carry; everything else (e.g. additionalProperties: false) is dropped. */
const KEPT = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'pattern',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'required',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function toStructural(schema: TSchema): Json {
  const node = schema as Record<string, unknown>;
  const out: Record<string, Json> = {};
  for (const key of KEPT) {
    if (node[key] !== undefined) out[key] = structuredClone(node[key]) as Json;
  }
  if (node.properties !== undefined) {
    const props: Record<string, Json> = {};
    for (const [k, v] of Object.entries(node.properties as Record<string, TSchema>)) props[k] = toStructural(v);
    out.properties = props;
  }
  if (node.items !== undefined) out.items = toStructural(node.items as TSchema);
  if (typeof node.additionalProperties === 'object') out.additionalProperties = toStructural(node.additionalProperties as TSchema);
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  return out;
}

interface CrdInput {
  shortNames: string[];
  spec: TSchema;
  status: TSchema;
  columns: readonly Record<string, unknown>[];
  description: string;
}

/** Names, group, version and scope come from `resource`, the entry the operator and the sidecar use, so the two cannot disagree. */
function crd(resource: Resource, input: CrdInput): Record<string, Json> {
  const root: Json = {
    type: 'object',
    description: input.description,
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { type: 'object' },
      spec: toStructural(input.spec),
      status: toStructural(input.status),
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${resource.plural}.${resource.group}`,
      labels: { 'app.kubernetes.io/name': 'mcp-residency', 'app.kubernetes.io/part-of': 'mcp-residency' },
    },
    spec: {
      group: resource.group,
      names: {
        kind: resource.kind,
        listKind: `${resource.kind}List`,
        plural: resource.plural,
        singular: resource.kind.toLowerCase(),
        ...(input.shortNames.length > 0 ? { shortNames: input.shortNames } : {}),
        categories: ['mcp-residency'],
      },
      scope: resource.namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: resource.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: structuredClone(input.columns) as Json[],
          schema: { openAPIV3Schema: root },
        },
      ],
    },
  };
}

export function policyCrd(): Record<string, Json> {
  return crd(POLICIES, {
    shortNames: ['mrp'],
    spec: PolicySpecSchema,
    status: PolicyStatusSchema,
    columns: POLICY_PRINTER_COLUMNS,
    description: 'MCPResidencyPolicy says what the mcp-residency sidecar enforces for the MCP server pods that name it: who may call, which tools, what is masked, where LLM calls may go and what is audited.',
  });
}

export function approvalCrd(): Record<string, Json> {
  return crd(APPROVALS, {
    shortNames: [],
    spec: ApprovalRequestSpecSchema,
    status: ApprovalStatusSchema,
    columns: APPROVAL_PRINTER_COLUMNS,
    description: 'MCPApproval is one tool call held by an approve rule, waiting for a person in the policy\'s approver groups. It is bound to the exact arguments (by digest) and used at most once.',
  });
}

const HEADER = '# Generated from policy/schema.ts by `make crds`. Do not edit by hand.\n';

export function renderCrd(obj: Record<string, Json>): string {
  // YAML 1.1, as the API server and kubectl read it: a default such as `off` is quoted, not a boolean.
  return HEADER + stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
}

export const CRD_FILES: readonly { file: string; build: () => Record<string, Json> }[] = [
  { file: 'mcpresidencypolicy.yaml', build: policyCrd },
  { file: 'mcpapproval.yaml', build: approvalCrd },
];

/** Where the spec's schema is kept as plain JSON for the runtime (validate.ts), relative to the repository root. */
export const SPEC_SCHEMA_FILE = 'policy/spec-schema.json';

export function renderSpecSchema(): string {
  return JSON.stringify(PolicySpecSchema, null, 1) + '\n';
}
