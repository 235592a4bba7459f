import { stat } from 'node:fs/promises';
// Implementations load when a command runs, so `--help` and usage errors stay instant.
import { CliError, defineCommand, type CommandGroup } from '../command.ts';

async function requireDir(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (st === undefined) throw new CliError(`${dir}: no such directory`);
  if (!st.isDirectory()) throw new CliError(`${dir}: not a directory`);
}

const verify = defineCommand({
  name: 'verify',
  summary: 'Check that an audit directory is intact (hash chain, seq, prev)',
  description: `
Reads every segment (*.jsonl) in seq order and checks each record: its hash against its content
(record format 2, "v":2: SHA-256 over the line as written without its final "hash" member;
records without "v": over the RFC 8785 canonical JSON of the record without "hash"), its seq
against the record before it, and its prev against that record's hash. Exits 0 when the chain is intact,
1 naming the first bad record as FILE:LINE: seq N: what is wrong (hash mismatch: edited; seq gap
or prev mismatch: deleted, reordered or inserted).

After retention removed old segments the chain starts at anchor.json (the seq and hash of the
last removed record). A record torn by a crash at the very end of the newest segment is reported
as a note, not a failure: the sidecar cuts it on its next start.`,
  args: { name: 'DIR', min: 1, max: 1 },
  flags: {},
  examples: ['mcp-residency audit verify /var/lib/mcp-residency/audit'],
  async run({ args, io }) {
    const dir = args[0]!;
    await requireDir(dir);
    const { formatProblem, verifyAuditDir } = await import('../../sidecar/audit/verify.ts');
    const r = await verifyAuditDir(dir);
    for (const note of r.notes) io.stderr.write(`${dir}: note: ${note}\n`);
    if (!r.ok && r.problem) {
      io.stderr.write(`${formatProblem(dir, r.problem)}\n`);
      io.stdout.write(`${dir}: NOT intact; ${r.records} records verified before the problem\n`);
      return 1;
    }
    const range = r.records > 0 ? `, seq ${r.firstSeq}..${r.lastSeq}` : '';
    const anchor = r.anchor ? `; seq 1..${r.anchor.seq} removed by retention (anchor.json)` : '';
    io.stdout.write(`${dir}: intact: ${r.records} records in ${r.segments} segments${range}${anchor}\n`);
    return 0;
  },
});

const search = defineCommand({
  name: 'search',
  summary: 'List the audit records that involve a data subject (GDPR access request)',
  description: `
Derives the tokens the subject's value was written as (pseudonymize mode: [TYPE_xxxxxxxx], an
HMAC under the policy's masking key) and prints every record holding one, and every record whose
principal.sub is the value, as JSON lines in seq order. The value's type is detected (an e-mail
address, an IBAN ...) and the whole value is also tried as each type the policy masks.

Needs the policy (for its masking settings) and the secrets directory holding its masking key
(DIR/<keySecret.name>/<keySecret.key>). The key is never printed. In redact mode every value
of a type is written the same way ([EMAIL]), so no record can be tied to a person: the command
says so and exits 1.

With --kql (and no DIR) it prints, instead, two ready KQL queries that find the subject's records
shipped to Azure Monitor by every pod: one for Application Insights (customEvents), one for a
workspace-based resource (AppEvents). The tokens are computed here; the key stays here.`,
  args: { name: 'DIR', min: 0, max: 1 },
  flags: {
    subject: { type: 'string', value: 'VALUE', required: true, help: "the data subject's value: an e-mail address, phone number, IBAN, ID ..." },
    policy: { type: 'string', value: 'FILE', required: true, help: 'the MCPResidencyPolicy the records were written under' },
    'secrets-dir': { type: 'string', value: 'DIR', help: 'mounted-Secret layout holding the masking key' },
    kql: { type: 'boolean', help: 'print KQL for Azure Monitor (customEvents and AppEvents) instead of searching DIR' },
  },
  examples: [
    'mcp-residency audit search /var/lib/mcp-residency/audit --subject alice@example.com --policy policy.yaml --secrets-dir /etc/mcp-residency/secrets',
    'mcp-residency audit search --kql --subject alice@example.com --policy policy.yaml --secrets-dir ./secrets',
  ],
  async run({ flags, args, io }) {
    const dir = args[0];
    if (flags.kql && dir !== undefined) throw new CliError('--kql searches Azure Monitor, not a directory: drop DIR', 2);
    if (!flags.kql && dir === undefined) throw new CliError('give the audit DIR to search, or --kql for a query to run in Azure Monitor', 2);
    if (dir !== undefined) await requireDir(dir);
    const { formatReport, loadPolicyFile } = await import('../../policy/load.ts');
    const { policyTypes, searchAuditDir, subjectTokens } = await import('../../sidecar/audit/search.ts');
    const { Masker, maskingConfigFromPolicy } = await import('../../sidecar/masking/engine.ts');
    const { readSecret, SecretError } = await import('../../sidecar/policy/secrets.ts');
    const loaded = await loadPolicyFile(flags.policy);
    for (const r of loaded.reports) io.stderr.write(`${formatReport(r)}\n`);
    if (loaded.reports.some((r) => r.severity === 'error')) return 1;
    if (loaded.policies.length !== 1) throw new CliError(`${flags.policy} holds ${loaded.policies.length} policies; pass a file with the one the records were written under`);
    const masking = loaded.policies[0]!.masking;
    if (masking.mode !== 'pseudonymize' || masking.keySecret === undefined) {
      io.stderr.write(
        `subject search needs masking mode pseudonymize: policy ${loaded.policies[0]!.name} uses redact, which writes every value of a type the same way ([EMAIL]), so no record can be tied to a data subject.\n` +
          'Records written after switching the policy to pseudonymize (with masking.keySecret) can be searched.\n',
      );
      return 1;
    }
    let key: Buffer;
    try {
      key = await readSecret(flags['secrets-dir'], masking.keySecret.name, masking.keySecret.key);
    } catch (err) {
      if (err instanceof SecretError) throw new CliError(`cannot read the masking key: ${err.message}`);
      throw err;
    }
    const masker = new Masker(maskingConfigFromPolicy(masking, key));
    key.fill(0);
    const tokens = subjectTokens(masker, policyTypes(masking), flags.subject);
    if (dir === undefined) {
      const { subjectKql } = await import('../../sidecar/audit/kql.ts');
      const all = tokens.map((t) => t.token);
      io.stdout.write(`// Application Insights (Logs of the resource): table customEvents\n${subjectKql('customEvents', all, flags.subject)}\n\n`);
      io.stdout.write(`// Log Analytics workspace of a workspace-based resource: table AppEvents\n${subjectKql('AppEvents', all, flags.subject)}\n`);
      io.stderr.write(`${all.length} tokens derived locally from policy ${loaded.policies[0]!.name}'s masking key (the key is not in the query); set the time range to cover your retention\n`);
      return 0;
    }
    const matched = new Map<string, number>();
    let records = 0;
    for await (const hit of searchAuditDir(dir, tokens.map((t) => t.token), flags.subject)) {
      io.stdout.write(`${hit.text}\n`);
      records++;
      for (const t of hit.tokens) matched.set(t, (matched.get(t) ?? 0) + 1);
      if (hit.principal) matched.set('principal.sub', (matched.get('principal.sub') ?? 0) + 1);
    }
    const detected = [...new Set(tokens.filter((t) => t.how === 'detected').map((t) => t.type))];
    const how = detected.length > 0 ? `detected as ${detected.join(', ')}` : 'no type detected; tried as every type the policy masks';
    const found = [...matched].map(([t, n]) => `${t} in ${n}`).join(', ');
    io.stderr.write(`${records} record${records === 1 ? '' : 's'} involve the subject (${how}${found ? `; matched ${found}` : ''})\n`);
    return 0;
  },
});

export const auditGroup: CommandGroup = {
  name: 'audit',
  summary: 'Verify and search the tamper-evident audit log',
  commands: [verify, search],
};
