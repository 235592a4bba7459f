// A pod in a box: network namespaces joined by veth pairs, made by the test (as root) and removed
// by it, so capture rules and the traffic they act on never touch the machine's own network.
//
//   pod  10.<n>.0.2/24  fd42:<n>::2/64   (the pod's rules are installed here)
//   node 10.<n>.0.1/24  fd42:<n>::1/64   (the node and other pods; 10.<n>.1.1 too, "another range")
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { repoRoot } from './cli.ts';

const run = promisify(execFile);
const AGENT = join(repoRoot, 'test', 'support', 'netns-agent.ts');

/** Fails (never skips) with the reason when this process cannot build network namespaces. */
export async function requireNetns(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error('this test builds network namespaces and veth pairs: it needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and `ip` (iproute2); run it as root, as CI does');
  }
  try {
    await run('ip', ['-V']);
  } catch {
    throw new Error('this test needs the `ip` command (iproute2) to build network namespaces');
  }
}

let counter = 0;

export class PodBox {
  readonly id: string;
  readonly pod: string;
  readonly node: string;
  readonly podV4: string;
  readonly nodeV4: string;
  /** another address of the node, in a range of its own */
  readonly otherV4: string;
  readonly otherRange: string;
  readonly podV6: string;
  readonly nodeV6: string;
  /** "the internet", behind the node (addWorld): two IPv4 addresses and one IPv6 */
  readonly world: string;
  readonly worldA: string;
  readonly worldB: string;
  readonly worldA6: string;
  readonly #children = new Set<ChildProcessByStdio<null, Readable, Readable>>();
  readonly #etc: string[] = [];

  constructor() {
    // Short: veth names are at most 15 characters. The pid keeps parallel runs apart.
    this.id = `${process.pid.toString(36)}${(counter++).toString(36)}`;
    const n = 100 + ((process.pid + counter) % 150);
    this.pod = `mr-pod-${this.id}`;
    this.node = `mr-node-${this.id}`;
    this.podV4 = `10.${n}.0.2`;
    this.nodeV4 = `10.${n}.0.1`;
    this.otherV4 = `10.${n}.1.1`;
    this.otherRange = `10.${n}.1.0/24`;
    this.podV6 = `fd42:${n}::2`;
    this.nodeV6 = `fd42:${n}::1`;
    this.world = `mr-world-${this.id}`;
    this.worldA = `10.${n}.2.2`;
    this.worldB = `10.${n}.2.3`;
    this.worldA6 = `fd42:${n}:2::2`;
  }

  /** A third namespace routed through the node: the pod reaches it only by the node forwarding. */
  async addWorld(): Promise<void> {
    const [nw, wv] = [`mrw${this.id}`, `mrx${this.id}`];
    const n = this.nodeV4.split('.')[1];
    await run('ip', ['netns', 'add', this.world]);
    await run('ip', ['link', 'add', nw, 'netns', this.node, 'type', 'veth', 'peer', 'name', wv, 'netns', this.world]);
    await this.exec(this.world, ['ip', 'link', 'set', 'lo', 'up']);
    for (const a of [this.worldA, this.worldB]) await this.exec(this.world, ['ip', 'addr', 'add', `${a}/24`, 'dev', wv]);
    await this.exec(this.world, ['ip', '-6', 'addr', 'add', `${this.worldA6}/64`, 'dev', wv, 'nodad']);
    await this.exec(this.node, ['ip', 'addr', 'add', `10.${n}.2.1/24`, 'dev', nw]);
    await this.exec(this.node, ['ip', '-6', 'addr', 'add', `fd42:${n}:2::1/64`, 'dev', nw, 'nodad']);
    for (const [ns, dev] of [[this.world, wv], [this.node, nw]] as const) await this.exec(ns, ['ip', 'link', 'set', dev, 'up']);
    await this.exec(this.node, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    await this.exec(this.world, ['ip', 'route', 'add', 'default', 'via', `10.${n}.2.1`]);
    await this.exec(this.world, ['ip', '-6', 'route', 'add', 'default', 'via', `fd42:${n}:2::1`]);
    await this.exec(this.pod, ['ip', 'route', 'add', 'default', 'via', this.nodeV4]);
    await this.exec(this.pod, ['ip', '-6', 'route', 'add', 'default', 'via', this.nodeV6]);
  }

  async create(): Promise<void> {
    const [pv, nv] = [`mrp${this.id}`, `mrn${this.id}`];
    await run('ip', ['netns', 'add', this.pod]);
    await run('ip', ['netns', 'add', this.node]);
    await run('ip', ['link', 'add', pv, 'netns', this.pod, 'type', 'veth', 'peer', 'name', nv, 'netns', this.node]);
    for (const [ns, dev, v4, v6] of [[this.pod, pv, this.podV4, this.podV6], [this.node, nv, this.nodeV4, this.nodeV6]] as const) {
      await this.exec(ns, ['ip', 'link', 'set', 'lo', 'up']);
      await this.exec(ns, ['ip', 'addr', 'add', `${v4}/24`, 'dev', dev]);
      // nodad: the address is usable at once, instead of after duplicate address detection.
      await this.exec(ns, ['ip', '-6', 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
      await this.exec(ns, ['ip', 'link', 'set', dev, 'up']);
    }
    await this.exec(this.node, ['ip', 'addr', 'add', `${this.otherV4}/24`, 'dev', nv]);
    await this.exec(this.pod, ['ip', 'route', 'add', this.otherRange, 'via', this.nodeV4]);
  }

  /**
   * Files `ip netns exec` binds over /etc inside the namespace (hosts, resolv.conf), so a
   * namespace resolves the test's names without touching the machine's /etc.
   */
  etc(ns: string, files: Record<string, string>): void {
    const dir = join('/etc/netns', ns);
    mkdirSync(dir, { recursive: true });
    this.#etc.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  }

  exec(ns: string, argv: readonly string[], input?: string, env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
    const p = run('ip', ['netns', 'exec', ns, ...argv], { env: { ...process.env, ...env } });
    if (input !== undefined) p.child.stdin?.end(input);
    return p;
  }

  /** `mcp-residency ...` inside a namespace, from source, as root (the init container's user). */
  async cli(ns: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await this.exec(ns, [process.execPath, join(repoRoot, 'cli', 'main.ts'), ...args]);
      return { code: 0, ...r };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  /** A long-running agent (listener) inside a namespace; resolves once it is bound. */
  async start(ns: string, args: readonly string[]): Promise<{ lines: string[] }> {
    return this.spawn(ns, [process.execPath, AGENT, ...args]);
  }

  /**
   * A long-running process inside a namespace, as `uid` when given (setpriv, after entering the
   * namespace, which needs root); resolves once it prints "ready" on stdout or a stderr line
   * satisfies `readyOnStderr`. `lines` keeps the rest of its stdout, `errors` its stderr.
   */
  async spawn(
    ns: string,
    argv: readonly string[],
    options: { uid?: number; env?: NodeJS.ProcessEnv; readyOnStderr?: (line: string) => boolean } = {},
  ): Promise<{ lines: string[]; errors: string[] }> {
    const asUser = options.uid === undefined ? [] : ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups'];
    const child = spawn('ip', ['netns', 'exec', ns, ...asUser, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    this.#children.add(child);
    const lines: string[] = [];
    const errors: string[] = [];
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line === 'ready') resolve();
        else lines.push(line);
      });
      createInterface({ input: child.stderr }).on('line', (line) => {
        errors.push(line);
        if (options.readyOnStderr?.(line)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`${argv.join(' ')} in ${ns} exited with ${code} before it was ready:\n${errors.join('\n')}`)));
    });
    return { lines, errors };
  }

  /** A TCP connection from `ns` as `uid`: "reply:<tag>" or "error:<code>". */
  async connect(ns: string, uid: number, host: string, port: number, text?: string): Promise<string> {
    const { stdout } = await this.exec(ns, [process.execPath, AGENT, 'connect', String(uid), host, String(port), ...(text === undefined ? [] : [text])]);
    return stdout.trim();
  }

  async udpSend(ns: string, uid: number, host: string, port: number): Promise<string> {
    const { stdout } = await this.exec(ns, [process.execPath, AGENT, 'udp-send', String(uid), host, String(port)]);
    return stdout.trim();
  }

  /** Removes everything it made; safe to call after a partial create. */
  async destroy(): Promise<void> {
    for (const child of this.#children) child.kill('SIGKILL');
    const running = [...this.#children].filter((c) => c.exitCode === null && c.signalCode === null);
    await Promise.all(running.map((c) => new Promise((r) => c.once('exit', r))));
    this.#children.clear();
    for (const ns of [this.pod, this.node, this.world]) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    for (const dir of this.#etc) rmSync(dir, { recursive: true, force: true });
  }
}
