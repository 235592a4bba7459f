import { expect } from 'chai';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';

const root = join(import.meta.dirname, '..', '..');

describe('mcp-residency policy validate', () => {
  it('accepts every example the README shows', async () => {
    const files = (await readdir(join(root, 'examples'))).filter((f) => f.endsWith('.yaml')).map((f) => join('examples', f));
    expect(files.length).to.be.at.least(4);
    const r = await runCli(['policy', 'validate', ...files]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    for (const f of files) expect(r.stdout).to.include(`${f}: `);
  });

  it('exits 1 with one line per problem naming file, line, column and field path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mrp-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      [
        'apiVersion: mcpresidency.io/v1alpha1',
        'kind: MCPResidencyPolicy',
        'metadata: { name: bad }',
        'spec:',
        '  authentication: { issuer: "https://i.example.com", audiences: [a] }',
        '  egress:',
        '    allowedRegions: [westeuropa]',
        '    upstreams:',
        '      - { name: a, url: "https://a.example.com", region: westeurope }',
        '      - { name: b, url: "https://b.example.com", region: mars-1 }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['policy', 'validate', file]);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.deep.equal([
      `${file}:7:22: spec.egress.allowedRegions[0]: "westeuropa" is not a known region or geography; did you mean "westeurope"?`,
      `${file}:9:58: warning: spec.egress.upstreams[0].region: westeurope (Azure, West Europe, NL) is outside allowedRegions, so every call to this upstream will be refused`,
      `${file}:10:58: spec.egress.upstreams[1].region: "mars-1" is not a known region`,
    ]);
  });

  it('names line and column of broken YAML, without a stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mrp-'));
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'apiVersion: mcpresidency.io/v1alpha1\nkind: MCPResidencyPolicy\nspec: { tools: [\n');
    const r = await runCli(['policy', 'validate', file]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: YAML syntax error: `));
    expect(r.stderr).to.not.match(/\n\s+at /);
  });

  it('reports a missing file plainly', async () => {
    const r = await runCli(['policy', 'validate', 'does/not/exist.yaml']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal('does/not/exist.yaml: cannot read: no such file\n');
  });

  it('answers usage mistakes with exit 2 and a hint', async () => {
    const r = await runCli(['policy', 'validate']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("missing FILE...\nRun 'mcp-residency policy validate --help' for usage.");
    const u = await runCli(['nosuch']);
    expect(u.code).to.equal(2);
    expect(u.stderr).to.include('unknown command "nosuch"');
  });
});
