// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
// package.json) as its CLI, on loopback only: its server scenarios connect to the URL given and
// need no browser and no network. Results are read from the per-scenario checks.json files the
// CLI writes with -o.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

export interface ConformanceCheck {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly errorMessage?: string;
}

/** The suite's CLI entry point, resolved from the installed package. */
function cli(): string {
  const manifest = createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json');
  return join(dirname(manifest), 'dist', 'index.js');
}

/** Every server scenario the installed suite knows, in its order ("conformance list"). */
export function serverScenarios(): string[] {
  const out = execFileSync(process.execPath, [cli(), 'list'], { encoding: 'utf8' });
  const section = out.split(/\n(?=\S)/u).find((s) => s.startsWith('Server scenarios'));
  if (section === undefined) throw new Error(`conformance list printed no "Server scenarios" section:\n${out}`);
  return [...section.matchAll(/^\s+- (\S+)/gmu)].map((m) => m[1]!);
}

/** Runs every server scenario (`--suite all`) against `url`; checks by scenario name. */
export async function runServerSuite(url: string, timeoutMs = 600_000): Promise<Map<string, ConformanceCheck[]>> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
  try {
    // Exit status 1 only says that some check failed; the checks themselves are the result.
    await promisify(execFile)(process.execPath, [cli(), 'server', '--url', url, '--suite', 'all', '-o', dir], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }).catch(
      (err: Error & { code?: unknown; stderr?: string }) => {
        if (err.code !== 1) throw new Error(`the conformance suite did not run: ${err.stderr ?? err.message}`);
      },
    );
    const results = new Map<string, ConformanceCheck[]>();
    for (const entry of await readdir(dir)) {
      const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/u.exec(entry);
      if (m === null) continue;
      const checks = JSON.parse(await readFile(join(dir, entry, 'checks.json'), 'utf8')) as ConformanceCheck[];
      results.set(m[1]!, checks);
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A scenario's outcome as comparable text: each check's id and status, INFO lines left out. */
export function outcome(checks: readonly ConformanceCheck[] | undefined): string[] {
  return (checks ?? []).filter((c) => c.status !== 'INFO').map((c) => `${c.id}: ${c.status}`);
}

export function summary(checks: readonly ConformanceCheck[] | undefined): string {
  if (checks === undefined) return 'not run';
  const count = (s: string): number => checks.filter((c) => c.status === s).length;
  const parts = [`${count('SUCCESS')} passed`, `${count('FAILURE')} failed`];
  if (count('WARNING') > 0) parts.push(`${count('WARNING')} warnings`);
  if (count('SKIPPED') > 0) parts.push(`${count('SKIPPED')} skipped`);
  return parts.join(', ');
}
