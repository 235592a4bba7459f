// `mcp-residency mask`: try a policy's masking on sample data. stdin -> stdout, JSON in and
// JSON out (formatting kept), anything else masked as text; --explain lists the findings on
// stderr (type, where, which detector; never the values).
import { join } from 'node:path';
import type { ResolvedPolicy } from '../../policy/types.ts';
import type { Masker } from '../../sidecar/masking/engine.ts';
import { CliError, defineCommand } from '../command.ts';
import { explainLines } from './mask-explain.ts';


async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The pseudonymization key: the file DIR/<secret name>/<key>, its bytes as they are, read the
 * way the sidecar reads it, so the CLI's tokens are the sidecar's tokens.
 */
async function readKey(policy: ResolvedPolicy, secretsDir: string | undefined): Promise<Uint8Array | undefined> {
  const { readSecret, SecretError } = await import('../../sidecar/policy/secrets.ts');
  const ref = policy.masking.keySecret;
  if (policy.masking.mode !== 'pseudonymize' || ref === undefined) return undefined;
  try {
    return await readSecret(secretsDir, ref.name, ref.key);
  } catch (err) {
    if (!(err instanceof SecretError)) throw err;
    const hint = secretsDir === undefined ? ` (pass --secrets-dir DIR holding ${join(ref.name, ref.key)})` : '';
    throw new CliError(`masking mode pseudonymize needs its key: ${err.message}${hint}`);
  }
}

function choosePolicy(policies: readonly ResolvedPolicy[], name: string | undefined, file: string): ResolvedPolicy {
  if (name !== undefined) {
    const p = policies.find((x) => x.name === name);
    if (p === undefined) throw new CliError(`${file}: no policy named "${name}" (has ${policies.map((x) => x.name).join(', ')})`);
    return p;
  }
  if (policies.length > 1) throw new CliError(`${file} holds ${policies.length} policies (${policies.map((x) => x.name).join(', ')}): choose one with --name`);
  return policies[0]!;
}

export const maskCommand = defineCommand({
  name: 'mask',
  summary: "Mask stdin as a policy's masking section says (try a policy on sample data)",
  description: `
Reads stdin and writes it to stdout masked with the policy's masking settings: its mode
(redact -> [EMAIL], pseudonymize -> [EMAIL_3fa9c2d1]), detectors, custom patterns and fields.
JSON comes out as JSON with its formatting kept (strings at any depth, JSON inside strings,
object keys untouched); any other input is masked as text. --explain lists every finding on
stderr: its type, where it is (JSON path or line), the detector that found it, what vouched
for it (checksum, key, cue, lexicon, ...) and its context with the values masked, never the
value. Pseudonymize mode reads the key from --secrets-dir DIR, as DIR/<secret name>/<key>
(the layout of a mounted Kubernetes Secret), using the file's bytes as they are.`,
  flags: {
    policy: { type: 'string', value: 'FILE', required: true, help: 'policy YAML (as for kubectl apply -f)' },
    name: { type: 'string', value: 'NAME', help: 'the policy to use when FILE holds several' },
    explain: { type: 'boolean', help: 'list each finding (type, position or JSON path, detector, what vouched for it, context) on stderr' },
    'secrets-dir': { type: 'string', value: 'DIR', help: 'directory of mounted secrets, DIR/<secretName>/<key>; needed for pseudonymize' },
  },
  examples: [
    "echo '{\"customer\":{\"email\":\"jane@example.com\"}}' | mcp-residency mask --policy examples/minimal.yaml",
    'mcp-residency mask --policy policy.yaml --secrets-dir ./secrets --explain < tool-result.json',
  ],
  async run({ flags, io }) {
    // Implementations load when the command runs, so `--help` and usage errors stay instant.
    const { formatReport, loadPolicyFile } = await import('../../policy/load.ts');
    const { Masker, maskingConfigFromPolicy, MaskReport } = await import('../../sidecar/masking/engine.ts');
    const file = flags.policy;
    const { policies, reports } = await loadPolicyFile(file);
    // Errors stop everything; of the warnings only those about masking matter here.
    for (const r of reports) {
      if (r.severity === 'error' || r.path === undefined || r.path.startsWith('spec.masking')) io.stderr.write(`${formatReport(r)}\n`);
    }
    if (reports.some((r) => r.severity === 'error') || policies.length === 0) return 1;
    const policy = choosePolicy(policies, flags.name, file);
    const key = await readKey(policy, flags['secrets-dir']);
    let masker: Masker;
    try {
      masker = new Masker(maskingConfigFromPolicy(policy.masking, key));
    } catch (err) {
      throw new CliError(`${file}: ${(err as Error).message}`);
    }
    const input = await readAll(io.stdin);
    const report = new MaskReport({ explain: flags.explain });
    const output = masker.maskJsonText(input, report);
    io.stdout.write(output);
    if (flags.explain) {
      const lines = report.findings!.length === 0 ? ['no findings'] : explainLines(report.findings!, input, isJson(input));
      const counts = Object.entries(report.countsObject()).map(([t, n]) => `${t} ${n}`).join(', ');
      io.stderr.write(`${lines.join('\n')}\n${report.total()} masked${counts ? `: ${counts}` : ''}\n`);
    }
    return 0;
  },
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
