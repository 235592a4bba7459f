import { expect } from 'chai';
import { formatReport, parsePolicies } from '../../policy/load.ts';

const policy = (name: string, extra = ''): string => `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata:
  name: ${name}
spec:
  authentication:
    issuer: https://login.example.com
    audiences: [api://x]
${extra}`;

describe('loading policy YAML', () => {
  it('reads every policy of a multi-document file and skips other kinds', () => {
    const text = `${policy('a')}---\napiVersion: v1\nkind: Secret\nmetadata: { name: s }\n---\n${policy('b')}---\n`;
    const { policies, reports, skipped } = parsePolicies(text, 'f.yaml');
    expect(reports).to.deep.equal([]);
    expect(policies.map((p) => p.name)).to.deep.equal(['a', 'b']);
    expect(skipped).to.deep.equal(['Secret/s']);
  });

  it('names line and column of a YAML syntax error', () => {
    const text = 'apiVersion: mcpresidency.io/v1alpha1\nkind: MCPResidencyPolicy\nmetadata:\n  name: [unclosed\n';
    const { reports } = parsePolicies(text, 'broken.yaml');
    expect(reports).to.have.length.greaterThan(0);
    const line = formatReport(reports[0]!);
    expect(line).to.match(/^broken\.yaml:\d+:\d+: YAML syntax error: /);
    expect(reports[0]!.line).to.be.at.least(4);
  });

  it('refuses duplicate keys, which would silently drop a setting', () => {
    const { reports } = parsePolicies(`${policy('a')}  tools: {}\n  tools: {}\n`, 'dup.yaml');
    expect(formatReport(reports[0]!)).to.match(/^dup\.yaml:10:\d+: YAML syntax error: Map keys must be unique/);
  });

  it('points at the line of the field that is wrong', () => {
    const text = policy('a', '  egress:\n    upstreams:\n      - name: x\n        url: https://x.example.com\n        region: mars-1\n');
    const { reports } = parsePolicies(text, 'p.yaml');
    expect(reports.map(formatReport)).to.deep.equal(['p.yaml:13:17: spec.egress.upstreams[0].region: "mars-1" is not a known region']);
  });

  it('points at the key of an unknown field and at the parent of a missing one', () => {
    const text = 'apiVersion: mcpresidency.io/v1alpha1\nkind: MCPResidencyPolicy\nmetadata: { name: a }\nspec:\n  authentication:\n    audiences: [x]\n  toolz: {}\n';
    const lines = parsePolicies(text, 'p.yaml').reports.map(formatReport);
    expect(lines).to.include('p.yaml:7:3: spec.toolz: unknown field; did you mean "tools"?');
    expect(lines.find((l) => l.includes('spec.authentication.issuer'))).to.match(/^p\.yaml:5:3: /);
  });

  it('says so when a file holds no policy', () => {
    expect(parsePolicies('', 'empty.yaml').reports.map(formatReport)[0]).to.match(/^empty\.yaml: .*no YAML documents|holds no MCPResidencyPolicy/);
    expect(parsePolicies('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n', 'cm.yaml').reports.map(formatReport)).to.deep.equal([
      'cm.yaml: holds no MCPResidencyPolicy (apiVersion mcpresidency.io/v1alpha1)',
    ]);
  });

  it('validates a document that only looks like a policy of another version', () => {
    const text = policy('a').replace('v1alpha1', 'v1');
    expect(parsePolicies(text, 'v.yaml').reports.map(formatReport)).to.deep.equal([
      'v.yaml:1:13: apiVersion: must be "mcpresidency.io/v1alpha1", got "mcpresidency.io/v1"',
    ]);
  });
});
