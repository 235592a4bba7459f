import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';

function policy(masking: string): string {
  return `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: cli-test }
spec:
  authentication: { mode: none }
  masking:
${masking.replace(/^/gmu, '    ')}
`;
}

describe('mcp-residency mask (CLI)', function () {
  this.timeout(30_000);
  let dir: string;
  const mask = (args: string[], input: string, env: NodeJS.ProcessEnv = {}) => runCli(['mask', ...args], { input, env, cwd: dir });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mask-cli-'));
    writeFileSync(join(dir, 'redact.yaml'), policy('mode: redact\ncustom: [ { name: EMPLOYEE_ID, pattern: "EMP-[0-9]{6}" } ]\nfields: [ "$.customer.taxId" ]'));
    writeFileSync(join(dir, 'pseudo.yaml'), policy('mode: pseudonymize\nkeySecret: { name: masking-key, key: key }'));
    writeFileSync(join(dir, 'broken.yaml'), policy('mode: scramble\nfields: [ "customer" ]'));
    mkdirSync(join(dir, 'secrets', 'masking-key'), { recursive: true });
    writeFileSync(join(dir, 'secrets', 'masking-key', 'key'), 'k3y-material');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('masks JSON in, JSON out, keeping its formatting', async () => {
    const input = '{\n  "customer": {\n    "email": "jane@example.com",\n    "taxId": 12345,\n    "note": "EMP-123456"\n  }\n}\n';
    const r = await mask(['--policy', 'redact.yaml'], input);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('{\n  "customer": {\n    "email": "[EMAIL]",\n    "taxId": "[FIELD]",\n    "note": "[EMPLOYEE_ID]"\n  }\n}\n');
  });

  it('masks text in, text out', async () => {
    const r = await mask(['--policy', 'redact.yaml'], 'Call +44 20 7946 0958 or write to jane@example.com\n');
    expect(r.stdout).to.equal('Call [PHONE] or write to [EMAIL]\n');
  });

  it('lists findings with --explain on stderr, without their values', async () => {
    const r = await mask(['--policy', 'redact.yaml', '--explain'], '{"customer":{"email":"jane@example.com","taxId":"X"}}');
    expect(r.code).to.equal(0);
    expect(r.stderr).to.match(/EMAIL\s+\$\.customer\.email chars 0-16\s+email/u);
    expect(r.stderr).to.match(/FIELD\s+\$\.customer\.taxId chars 0-1\s+field:\$\.customer\.taxId/u);
    expect(r.stderr).to.include('2 masked: EMAIL 1, FIELD 1');
    expect(r.stderr).to.not.include('jane@example.com');
    const text = await mask(['--policy', 'redact.yaml', '--explain'], 'line one\nmail jane@example.com');
    expect(text.stderr).to.match(/EMAIL\s+line 2:6 \(chars 14-30\)\s+email/u);
  });

  it('says with --explain what vouched for each finding, and shows its context with the values masked', async () => {
    const r = await mask(['--policy', 'redact.yaml', '--explain'], '{"customer":{"lastName":"Jensen","note":"Dear Ms Jensen, born on 12 March 1985, card 4111 1111 1111 1111"}}');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/VALIDATED BY\s+CONTEXT/u);
    expect(r.stderr).to.match(/PERSON\s+\$\.customer\.lastName chars 0-6\s+person:key\s+key\s+"lastName": \[PERSON\]/u);
    expect(r.stderr).to.match(/PERSON\s+\$\.customer\.note chars 8-14\s+person:cue\s+cue\s+"Dear Ms \[PERSON\], born on \[DATE_OF_BIRTH\]/u);
    expect(r.stderr).to.match(/DATE_OF_BIRTH\s+\$\.customer\.note chars 24-37\s+dateOfBirth:cue\s+cue/u);
    expect(r.stderr).to.match(/CREDIT_CARD\s+\$\.customer\.note chars 44-63\s+creditCard\s+checksum\s+"…/u);
    expect(r.stderr).to.not.match(/Jensen|1985|4111/u);
  });

  it('says with --explain whether a national identifier stood on its checksum, a cue, or being the whole value', async () => {
    const r = await mask(['--policy', 'redact.yaml', '--explain'], '{"nhs":"0032698674","note":"Steuer-ID 12345678903, HETU 131052-308T"}');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/NATIONAL_ID\s+\$\.nhs chars 0-10\s+nationalId:whole\s+checksum, whole value/u);
    expect(r.stderr).to.match(/NATIONAL_ID\s+\$\.note chars 10-21\s+nationalId:cue\s+checksum and cue\s+"Steuer-ID \[NATIONAL_ID\]/u);
    expect(r.stderr).to.match(/NATIONAL_ID\s+\$\.note chars 28-39\s+nationalId\s+checksum\s/u);
  });

  it('pseudonymizes with the key from --secrets-dir (or its environment variable)', async () => {
    const a = await mask(['--policy', 'pseudo.yaml', '--secrets-dir', 'secrets'], 'jane@example.com');
    expect(a.code, a.stderr).to.equal(0);
    expect(a.stdout).to.match(/^\[EMAIL_[0-9a-f]{8}\]$/u);
    const b = await mask(['--policy', 'pseudo.yaml'], 'JANE@example.com', { MCP_RESIDENCY_SECRETS_DIR: 'secrets' });
    expect(b.stdout).to.equal(a.stdout);
    expect(a.stderr).to.not.include('k3y-material');
  });

  it('names the missing secret file when pseudonymize has no key', async () => {
    const r = await mask(['--policy', 'pseudo.yaml', '--secrets-dir', 'nowhere'], 'x');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include(join('nowhere', 'masking-key', 'key'));
    expect(r.stderr).to.include('no such file');
    const none = await mask(['--policy', 'pseudo.yaml'], 'x');
    expect(none.code).to.equal(1);
    expect(none.stderr).to.include('--secrets-dir');
    expect(none.stderr).to.not.match(/\n\s+at /u);
  });

  it('reports policy errors with file, line and field, exit 1, no stack trace', async () => {
    const r = await mask(['--policy', 'broken.yaml'], 'x');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/broken\.yaml:\d+:\d+: spec\.masking\.mode/u);
    expect(r.stderr).to.not.match(/\n\s+at /u);
    const missing = await mask(['--policy', 'missing.yaml'], 'x');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('missing.yaml: cannot read: no such file');
  });
});
