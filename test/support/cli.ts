// Runs the CLI from source, as a separate process on the pinned Node: what a user sees.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const cliEntry = join(repoRoot, 'cli', 'main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Starts a long-running command (stderr piped, for its JSON log). The child comes back at once so
 * the caller can kill it whatever happens; `started` resolves with the first log line whose msg
 * is `msg`, and rejects if the process exits before it.
 */
export function startCli<T extends { msg: string }>(
  args: string[],
  msg: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcessByStdio<null, null, Readable>; started: Promise<T> } {
  const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const started = new Promise<T>((resolve, reject) => {
    createInterface({ input: child.stderr }).on('line', (line) => {
      const entry = JSON.parse(line) as T;
      if (entry.msg === msg) resolve(entry);
    });
    child.once('exit', (code) => reject(new Error(`mcp-residency ${args.join(' ')} exited with ${code} before logging "${msg}"`)));
  });
  return { child, started };
}
