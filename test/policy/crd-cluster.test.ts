// The CRD's own checks, run by the real API server: what `kubectl apply` refuses even when
// the operator's validating webhook is not installed.
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { useControlPlane } from '../support/controlplane.ts';

const root = join(import.meta.dirname, '..', '..');

const policy = (name: string, spec: string): string => `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: ${name} }
spec:
${spec}`;

const AUTH = '  authentication: { issuer: "https://i.example.com", audiences: [a] }\n';

describe('CRD validation by the API server @cluster', () => {
  const cluster = useControlPlane();
  let ns: string;

  before(async () => {
    ns = await cluster().newNamespace('crd');
  });

  const apply = (yaml: string) => cluster().kubectl(['apply', '--dry-run=server', '-n', ns, '-f', '-'], { input: yaml });

  it('accepts every example policy', async () => {
    for (const file of (await readdir(join(root, 'examples'))).filter((f) => f.endsWith('.yaml'))) {
      const docs = parseAllDocuments(await readFile(join(root, 'examples', file), 'utf8'));
      for (const doc of Array.isArray(docs) ? docs : []) {
        const obj = doc.toJS() as { kind?: string; metadata?: { namespace?: string } } | null;
        if (obj?.kind !== 'MCPResidencyPolicy') continue;
        delete obj.metadata!.namespace;
        const r = await apply(JSON.stringify(obj));
        expect(r.code, `${file}: ${r.stderr}`).to.equal(0);
      }
    }
  });

  const refused: [string, string, RegExp][] = [
    ['no authentication', '  tools: {}\n', /spec.authentication: Required value/],
    ['oidc without issuer', '  authentication: { audiences: [a] }\n', /mode oidc needs an issuer and at least one audience/],
    ['unknown enum value', `${AUTH}  tools: { default: permit }\n`, /spec.tools.default: Unsupported value: "permit"/],
    ['pseudonymize without key', `${AUTH}  masking: { mode: pseudonymize }\n`, /pseudonymize mode needs keySecret/],
    ['approve without approvers', `${AUTH}  tools: { rules: [ { name: "export_*", action: approve } ] }\n`, /action approve need approval.approverGroups/],
    ['empty approver list', `${AUTH}  approval: { approverGroups: [] }\n`, /spec.approval.approverGroups: Invalid value: 0: .*should have at least 1 items/],
    [
      'duplicate upstream names',
      `${AUTH}  egress:\n    upstreams:\n      - { name: a, url: "https://a.example.com", region: westeurope }\n      - { name: a, url: "https://b.example.com", region: westeurope }\n`,
      /spec.egress.upstreams\[1\]: Duplicate value/,
    ],
    ['upstream name not a DNS label', `${AUTH}  egress: { upstreams: [ { name: "A_B", url: "https://a.example.com", region: westeurope } ] }\n`, /spec.egress.upstreams\[0\].name: Invalid value: "A_B"/],
    ['approval timeout below minimum', `${AUTH}  approval: { approverGroups: [g], timeoutSeconds: 1 }\n`, /spec.approval.timeoutSeconds: Invalid value: 1: .*should be greater than or equal to 10/],
  ];
  for (const [what, spec, message] of refused) {
    it(`refuses ${what}`, async () => {
      const r = await apply(policy('bad', spec));
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.match(message);
    });
  }

  it('applies the schema defaults', async () => {
    const r = await cluster().kubectl(['apply', '-n', ns, '-f', '-', '-o', 'json'], { input: policy('defaults', `${AUTH}`) });
    expect(r.code, r.stderr).to.equal(0);
    const spec = (JSON.parse(r.stdout) as { spec: Record<string, Record<string, unknown>> }).spec;
    expect(spec.authentication).to.include({ mode: 'oidc', groupsClaim: 'groups' });
    expect(spec.tools).to.deep.equal({ default: 'allow', rules: [], pinning: 'off', pins: [] });
    expect(spec.masking).to.deep.include({ mode: 'redact', custom: [] });
    expect(spec.egress).to.deep.include({ tunnels: 'allow', upstreams: [] });
    expect(spec.audit).to.deep.equal({ payloads: 'masked' });
  });
});
