// The Go MCP server of test/fixtures/go-mcp (encoding/json, as the official Go SDK decodes):
// built once into the test cache directory (keyed by its source's hash, so an edit rebuilds
// it), started on a loopback port, asked what it ran.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const SOURCE = new URL('../fixtures/go-mcp/main.go', import.meta.url).pathname;
const GO = process.env.GO ?? '/usr/local/go/bin/go';

export interface GoServer {
  readonly origin: string;
  /** The tools it ran and the raw bodies it received, in order. */
  seen(): Promise<{ calls: string[]; bodies: string[] }>;
  close(): Promise<void>;
}

/** Builds the server unless the cache has this source's build; bounded by `timeoutMs`. */
export async function buildGoServer(timeoutMs: number): Promise<string> {
  const hash = createHash('sha256').update(await readFile(SOURCE)).digest('hex').slice(0, 16);
  const dir = join(homedir(), '.cache', 'mcp-residency', 'go-mcp');
  const binary = join(dir, `go-mcp-${hash}`);
  try {
    await access(binary);
    return binary;
  } catch {
    // not built yet
  }
  await mkdir(dir, { recursive: true });
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOPROXY: 'off', GOFLAGS: '', CGO_ENABLED: '0' };
  await promisify(execFile)(GO, ['build', '-o', binary, SOURCE], { env, timeout: timeoutMs });
  return binary;
}

export async function startGoServer(binary: string): Promise<GoServer> {
  const child: ChildProcess = spawn(binary, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const origin = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the Go server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return {
    origin,
    seen: async () => (await (await fetch(`${origin}/seen`)).json()) as { calls: string[]; bodies: string[] },
    close: async () => {
      child.kill();
      await exited;
    },
  };
}
