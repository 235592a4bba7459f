// Installs the load tools a benchmark needs, once per machine: nginx and wrk from Debian's
// packages, vegeta from the Go module proxy into the project's per-machine cache.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const cacheDir = process.env.MCP_RESIDENCY_CACHE ?? join(homedir(), '.cache', 'mcp-residency');

async function which(cmd: string): Promise<string | undefined> {
  try {
    return (await run('sh', ['-c', `command -v ${cmd}`])).stdout.trim() || undefined;
  } catch {
    for (const dir of ['/usr/sbin', '/sbin']) if (existsSync(join(dir, cmd))) return join(dir, cmd);
    return undefined;
  }
}

/** A Debian package's binary, installed with apt-get when missing. */
export async function debianTool(binary: string, pkg = binary): Promise<string> {
  const found = await which(binary);
  if (found) return found;
  console.error(`==> installing ${pkg} from Debian's packages (once per machine)`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = async (args: string[]): Promise<void> => {
    await run(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), ...args], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, maxBuffer: 64 << 20 });
  };
  await apt(['update', '-qq']);
  await apt(['install', '-y', '-qq', '--no-install-recommends', pkg]);
  const installed = await which(binary);
  if (!installed) throw new Error(`${pkg} installed, but ${binary} is not on PATH`);
  return installed;
}

/**
 * vegeta, built from the pinned wrapper module in bench/lib/vegeta (go.mod + go.sum) into the
 * cache. `go install pkg@version` would ask the module proxy for the version list, which the
 * proxy here refuses for this module; building inside a module with go.sum needs no list.
 */
export async function vegeta(): Promise<string> {
  const bin = join(cacheDir, 'bin', 'vegeta-v12.12.0', 'vegeta');
  if (existsSync(bin)) return bin;
  console.error('==> building vegeta v12.12.0 from the Go module proxy (once per machine, about a minute)');
  await run('go', ['build', '-mod=readonly', '-trimpath', '-o', bin, 'github.com/tsenart/vegeta/v12'], {
    cwd: join(import.meta.dirname, 'vegeta'),
    env: { ...process.env, CGO_ENABLED: '0' },
    maxBuffer: 64 << 20,
  });
  return bin;
}
