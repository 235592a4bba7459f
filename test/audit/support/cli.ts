// Runs `mcp-residency audit ...` in-process through the CLI framework, as cli/main.ts does
// (same runMain, so the same one-line errors), without importing every other command.
import { PassThrough } from 'node:stream';
import { auditGroup } from '../../../cli/commands/audit.ts';
import { runMain } from '../../../cli/command.ts';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function audit(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await runMain({ name: 'mcp-residency', summary: '', commands: [auditGroup] }, ['audit', ...args], { stdin: new PassThrough(), stdout, stderr, env });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out, stderr: err };
}
