// Runs the static helper (sidecar/capture/nft/, built by `make build` and shipped in the image at
// the same path below the package root) that puts a capture plan into the kernel.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CapturePlan } from './rules.ts';

export const HELPER_NAME = 'mcp-residency-nft';

/** What the kernel holds of our table: chains and the comments of their rules, in order. */
export interface InstalledTable {
  readonly table: string;
  readonly present: boolean;
  readonly chains: readonly { name: string; type: string; hook: string; priority: number; rules: readonly string[] }[];
}

export class CaptureHelperError extends Error {}

/**
 * <package root>/dist/bin/mcp-residency-nft, the root found by walking up to package.json (the
 * same from source, from dist/ and in the image's /app); MCP_RESIDENCY_NFT_HELPER overrides.
 */
export function helperPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MCP_RESIDENCY_NFT_HELPER) return env.MCP_RESIDENCY_NFT_HELPER;
  let dir = import.meta.dirname;
  for (let i = 0; i < 8 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir);
  return join(dir, 'dist', 'bin', HELPER_NAME);
}

function runHelper(args: readonly string[], input: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  const path = helperPath(env);
  if (!existsSync(path)) {
    return Promise.reject(new CaptureHelperError(`the capture helper ${path} is missing: run 'make build' (it needs Go) or set MCP_RESIDENCY_NFT_HELPER`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // The helper reads stdin only for apply; an early exit must not turn into an EPIPE crash.
    child.stdin.on('error', () => undefined);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new CaptureHelperError(err.trim().replace(/^mcp-residency-nft: /u, '') || `${HELPER_NAME} exited with ${code}`));
        return;
      }
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new CaptureHelperError(`${HELPER_NAME} printed no JSON: ${out.slice(0, 200)}`));
      }
    });
    child.stdin.end(input);
  });
}

/** Installs the plan; false when the kernel already held exactly this plan (nothing changed). */
export async function applyPlan(plan: CapturePlan, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const r = (await runHelper(['apply'], JSON.stringify(plan), env)) as { changed: boolean };
  return r.changed;
}

/** Removes our table; false when there was none. */
export async function removeTable(table: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const r = (await runHelper(['remove', table], '', env)) as { removed: boolean };
  return r.removed;
}

export async function showTable(table: string, env: NodeJS.ProcessEnv = process.env): Promise<InstalledTable> {
  return (await runHelper(['show', table], '', env)) as InstalledTable;
}
