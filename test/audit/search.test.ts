import { expect } from 'chai';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPolicyFile } from '../../policy/load.ts';
import { auditProperties } from '../../sidecar/audit/envelope.ts';
import { readAuditRecords } from '../../sidecar/audit/layout.ts';
import { openAuditLog } from '../../sidecar/audit/log.ts';
import { Masker, MaskReport, maskingConfigFromPolicy } from '../../sidecar/masking/engine.ts';
import { audit } from './support/cli.ts';
import { cleanupDirs, tempDir } from './support/helpers.ts';

const KEY = 'search-test-key-5f0e2c7b9d1a';

const policyYaml = (mode: 'pseudonymize' | 'redact'): string => `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm, namespace: agents }
spec:
  authentication:
    issuer: https://login.example.com/tenant/v2.0
    audiences: [api://crm]
  masking:
    mode: ${mode}
${mode === 'pseudonymize' ? '    keySecret: { name: masking-key, key: key }\n' : ''}    custom: [ { name: EMPLOYEE_ID, pattern: "EMP-[0-9]{6}" } ]
    fields: [ "$.customer.taxId" ]
`;

describe('mcp-residency audit search', () => {
  let dir: string;
  let secrets: string;
  let policyFile: string;
  const base = ['search'];

  before(async () => {
    const root = await tempDir();
    dir = join(root, 'audit');
    secrets = join(root, 'secrets');
    await mkdir(join(secrets, 'masking-key'), { recursive: true });
    await writeFile(join(secrets, 'masking-key', 'key'), KEY);
    policyFile = join(root, 'policy.yaml');
    await writeFile(policyFile, policyYaml('pseudonymize'));
    const policy = (await loadPolicyFile(policyFile)).policies[0]!;
    const masker = new Masker(maskingConfigFromPolicy(policy.masking, Buffer.from(KEY)));
    const log = await openAuditLog({ dir });
    const calls = [
      { customer: { email: 'Alice.Smith@example.com', taxId: 'DE-TAX-4711' }, q: 'orders' },
      { customer: { email: 'bob@example.com' }, note: 'call +44 20 7946 0958' },
      { text: 'ticket from alice.smith@example.com, employee EMP-123456' },
      { customer: { email: 'carol@example.com', taxId: 'FR-TAX-9' } },
    ];
    for (const [i, args] of calls.entries()) {
      const report = new MaskReport();
      const payload = { arguments: masker.maskJson(args, report) };
      await log.append({ kind: 'mcp', principal: { sub: i === 3 ? 'alice.smith@example.com' : 'agent-7' }, decision: 'allow', method: 'tools/call', tool: 'crm', masked: report.countsObject(), payload });
    }
    await log.close();
  });
  after(cleanupDirs);

  const run = (subject: string, extra: string[] = []) => audit([...base, dir, '--subject', subject, '--policy', policyFile, '--secrets-dir', secrets, ...extra]);
  const seqs = (stdout: string): number[] => stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq);

  it('lists every record holding the subject, whatever the spelling, as JSON lines', async () => {
    const r = await run('ALICE.SMITH@EXAMPLE.COM');
    expect(r.code, r.stderr).to.equal(0);
    // 1 and 3 hold her address; 4 has her as the principal.
    expect(seqs(r.stdout)).to.deep.equal([1, 3, 4]);
    expect(r.stderr).to.match(/^3 records involve the subject \(detected as EMAIL; matched \[EMAIL_[0-9a-f]{8}\] in 2, principal\.sub in 1\)\n$/u);
  });

  it('finds a phone number written another way, a custom type and a masked field', async () => {
    expect(seqs((await run('0044 20 7946 0958')).stdout)).to.deep.equal([2]);
    expect(seqs((await run('EMP-123456')).stdout)).to.deep.equal([3]);
    const field = await run('FR-TAX-9');
    expect(seqs(field.stdout)).to.deep.equal([4]);
    expect(field.stderr).to.match(/no type detected; tried as every type the policy masks; matched \[FIELD_[0-9a-f]{8}\] in 1/u);
  });

  it('prints nothing for a subject the log does not hold, and never prints the key', async () => {
    const r = await run('nobody@example.com');
    expect(r).to.deep.include({ code: 0, stdout: '' });
    expect(r.stderr).to.match(/^0 records involve the subject/u);
    for (const s of [r.stdout, r.stderr, (await run('alice.smith@example.com')).stdout]) expect(s).to.not.include(KEY);
  });

  it('says plainly that redact mode cannot support subject search', async () => {
    const redact = join(dir, '..', 'redact.yaml');
    await writeFile(redact, policyYaml('redact'));
    const r = await audit([...base, dir, '--subject', 'alice.smith@example.com', '--policy', redact]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.match(/^subject search needs masking mode pseudonymize: policy crm uses redact, which writes every value of a type the same way \(\[EMAIL\]\)/u);
  });

  it('names a missing key file without revealing anything', async () => {
    const r = await audit([...base, dir, '--subject', 'x@example.com', '--policy', policyFile, '--secrets-dir', join(secrets, 'nope')]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/^mcp-residency: cannot read the masking key: cannot read secret masking-key\/key at .*: no such file\n$/u);
  });

  it('prints KQL for customEvents and AppEvents that matches the records the local search finds, without the key', async () => {
    const local = seqs((await run('alice.smith@example.com')).stdout);
    const r = await audit([...base, '--kql', '--subject', 'alice.smith@example.com', '--policy', policyFile, '--secrets-dir', secrets]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.not.include(KEY);
    expect(r.stderr).to.include('tokens derived locally from policy crm');
    const [ai, workspace] = r.stdout.split('\n\n');
    expect(ai).to.include('\ncustomEvents\n| where name == "MCPResidencyAudit"').and.include('| extend d = customDimensions').and.include('pod = cloud_RoleInstance');
    expect(workspace).to.include('\nAppEvents\n| where Name == "MCPResidencyAudit"').and.include('| extend d = Properties').and.include('pod = AppRoleInstance');
    expect(ai).to.include('let subject = "alice.smith@example.com";');
    // What the query asks of each shipped event, applied to the events these records become.
    const tokens = [...ai!.matchAll(/text contains_cs "([^"]+)"/gu)].map((m) => m[1]!);
    expect(tokens.length).to.be.greaterThan(3);
    const payloadKeys = [...ai!.matchAll(/tostring\(d\["(payload(?:\.\d)?)"\]\)/gu)].map((m) => m[1]!);
    expect(payloadKeys).to.deep.equal(['payload', 'payload.2', 'payload.3', 'payload.4', 'payload.5', 'payload.6']);
    const matched = (await readAuditRecords(dir))
      .filter((rec) => {
        const d = auditProperties(rec);
        const text = `${payloadKeys.map((k) => d[k] ?? '').join('')} ${d.reason ?? ''}`;
        return tokens.some((t) => text.includes(t)) || d['principal.sub']?.toLowerCase() === 'alice.smith@example.com';
      })
      .map((rec) => rec.seq);
    expect(matched).to.deep.equal(local);
    expect(matched.length).to.be.greaterThan(1);
  });

  it('asks for DIR or --kql, not both', async () => {
    const both = await audit([...base, dir, '--kql', '--subject', 'x@example.com', '--policy', policyFile, '--secrets-dir', secrets]);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.include('--kql searches Azure Monitor, not a directory: drop DIR');
    const neither = await audit([...base, '--subject', 'x@example.com', '--policy', policyFile, '--secrets-dir', secrets]);
    expect(neither.code).to.equal(2);
    expect(neither.stderr).to.include('give the audit DIR to search, or --kql');
  });
});
