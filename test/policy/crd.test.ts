import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CRD_FILES, policyCrd, renderCrd, renderSpecSchema, SPEC_SCHEMA_FILE } from '../../policy/crd.ts';
import { resolvePolicy } from '../../policy/defaults.ts';
import type { PolicyObject } from '../../policy/types.ts';

const root = join(import.meta.dirname, '..', '..');

type Node = { type?: string; properties?: Record<string, Node>; items?: Node; default?: unknown; [k: string]: unknown };

/** Defaulting as the API server does it for a structural schema. */
function applySchemaDefaults(node: Node, value: unknown): unknown {
  if (node.type === 'object' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [k, child] of Object.entries(node.properties ?? {})) {
      if (out[k] === undefined && child.default !== undefined) out[k] = structuredClone(child.default);
      if (out[k] !== undefined) out[k] = applySchemaDefaults(child, out[k]);
    }
    return out;
  }
  if (node.type === 'array' && Array.isArray(value) && node.items) return value.map((v) => applySchemaDefaults(node.items!, v));
  return value;
}

describe('CRDs', () => {
  for (const { file, build } of CRD_FILES) {
    it(`crds/${file} is what the policy schema generates (run 'make crds' after a schema change)`, async () => {
      const committed = await readFile(join(root, 'crds', file), 'utf8');
      expect(committed).to.equal(renderCrd(build()));
    });
  }

  it(`${SPEC_SCHEMA_FILE}, which the sidecar validates policies against, is what the policy schema generates (run 'make crds')`, async () => {
    const committed = await readFile(join(root, SPEC_SCHEMA_FILE), 'utf8');
    expect(committed).to.equal(renderSpecSchema());
  });

  it('is structural: every property typed, no anyOf/oneOf, no additionalProperties: false', () => {
    const walk = (node: Node, path: string): void => {
      expect(node.type, `${path} has no type`).to.be.a('string');
      expect(node, path).to.not.have.any.keys('anyOf', 'oneOf', 'allOf', 'not', 'patternProperties', '$ref');
      expect(node.additionalProperties, path).to.not.equal(false);
      for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${k}`);
      if (node.items) walk(node.items, `${path}[]`);
    };
    const schema = (policyCrd().spec as { versions: { schema: { openAPIV3Schema: Node } }[] }).versions[0]!.schema.openAPIV3Schema;
    const spec = schema.properties!.spec!;
    walk(spec, 'spec');
    walk(schema.properties!.status!, 'status');
  });

  it('has a status subresource, printer columns and the contract names', async () => {
    const crd = parse(await readFile(join(root, 'crds', 'mcpresidencypolicy.yaml'), 'utf8'));
    expect(crd.metadata.name).to.equal('mcpresidencypolicies.mcpresidency.io');
    expect(crd.spec.names).to.include({ kind: 'MCPResidencyPolicy', plural: 'mcpresidencypolicies' });
    expect(crd.spec.names.shortNames).to.deep.equal(['mrp']);
    expect(crd.spec.scope).to.equal('Namespaced');
    const v = crd.spec.versions[0];
    expect(v.name).to.equal('v1alpha1');
    expect(v.subresources).to.deep.equal({ status: {} });
    expect(v.additionalPrinterColumns.map((c: { name: string }) => c.name)).to.include.members(['Ready', 'Age']);
    const status = v.schema.openAPIV3Schema.properties.status.properties;
    expect(status).to.have.keys('conditions', 'observedGeneration', 'enforcingPods', 'unprotectedPods', 'toolsPendingReview');
    const approval = parse(await readFile(join(root, 'crds', 'mcpapproval.yaml'), 'utf8'));
    expect(approval.metadata.name).to.equal('mcpapprovals.mcpresidency.io');
    expect(approval.spec.names.kind).to.equal('MCPApproval');
  });

  it('applies the same defaults as resolvePolicy() (one source for both)', () => {
    const spec = { authentication: { issuer: 'https://i.example.com', audiences: ['a'] }, egress: { upstreams: [{ name: 'u', url: 'https://u.example.com', region: 'westeurope', credential: { secretName: 's', key: 'k' } }] }, approval: { approverGroups: ['g'] } };
    const schema = (policyCrd().spec as { versions: { schema: { openAPIV3Schema: Node } }[] }).versions[0]!.schema.openAPIV3Schema.properties!.spec!;
    const defaulted = applySchemaDefaults(schema, structuredClone(spec)) as PolicyObject['spec'];
    const viaServer = resolvePolicy({ apiVersion: 'x', kind: 'x', metadata: { name: 'p' }, spec: defaulted });
    const viaCode = resolvePolicy({ apiVersion: 'x', kind: 'x', metadata: { name: 'p' }, spec });
    expect(viaServer).to.deep.equal(viaCode);
    expect(viaCode.authentication).to.include({ mode: 'oidc', groupsClaim: 'groups' });
    expect(viaCode.tools.default).to.equal('allow');
    expect(viaCode.masking.mode).to.equal('redact');
    expect(viaCode.egress.upstreams[0]!.credential!.header).to.equal('Authorization');
    expect(viaCode.approval!.timeoutSeconds).to.equal(300);
    expect(viaCode.audit.payloads).to.equal('masked');
  });
});
