// Exec credential plugins (kubelogin, aws eks get-token, gke-gcloud-auth-plugin): the kubeconfig
// names a command that prints an ExecCredential; its token or client certificate authenticates
// us. The rules are client-go's (k8s.io/client-go/plugin/pkg/client/auth/exec), so a kubeconfig
// behaves here as it does with kubectl:
// - apiVersion client.authentication.k8s.io/v1 or v1beta1; the answer must carry the same one;
// - interactiveMode Never | IfAvailable | Always (v1 requires it; v1beta1 defaults to
//   IfAvailable): the plugin gets our stdin only when it may be interactive and stdin is a
//   terminal; Always without a terminal is an error before the plugin runs;
// - KUBERNETES_EXEC_INFO holds the ExecCredential request (spec.interactive, and spec.cluster
//   when provideClusterInfo is set);
// - the answer is reused until status.expirationTimestamp (for ever when it has none), and
//   thrown away when the API server answers 401;
// - a missing command or a failing one is an error naming the plugin, with its installHint.
import { spawn } from 'node:child_process';

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];
export type InteractiveMode = 'Never' | 'IfAvailable' | 'Always';

export interface ExecConfig {
  readonly apiVersion: ExecApiVersion;
  /** As written, or resolved against the kubeconfig's directory when it holds a path separator. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly installHint: string | undefined;
  readonly interactiveMode: InteractiveMode;
  /** The cluster as KUBERNETES_EXEC_INFO's spec.cluster, when provideClusterInfo is set. */
  readonly cluster: Readonly<Record<string, unknown>> | undefined;
}

export interface ExecCredentials {
  readonly token: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  /** ms since the epoch; undefined: valid until the API server says otherwise */
  readonly expiresAt: number | undefined;
}

export class ExecCredentialError extends Error {}

export interface ExecEnvironment {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdinIsTerminal?: boolean;
  readonly now?: () => number;
}

/** Checks the kubeconfig's `exec` stanza; errors name the field. `source` names the kubeconfig and user. */
export function parseExecConfig(raw: unknown, source: string, resolve: (command: string) => string, cluster: Record<string, unknown> | undefined): ExecConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ExecCredentialError(`${source}: exec must be a map`);
  const o = raw as Record<string, unknown>;
  const apiVersion = o.apiVersion;
  if (!EXEC_API_VERSIONS.includes(apiVersion as ExecApiVersion)) {
    throw new ExecCredentialError(`${source}: exec.apiVersion ${JSON.stringify(apiVersion)} is not supported; use ${EXEC_API_VERSIONS.join(' or ')}`);
  }
  if (typeof o.command !== 'string' || o.command === '') throw new ExecCredentialError(`${source}: exec.command is required`);
  const args = o.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new ExecCredentialError(`${source}: exec.args must be a list of strings`);
  const env: Record<string, string> = {};
  const rawEnv = o.env ?? [];
  if (!Array.isArray(rawEnv)) throw new ExecCredentialError(`${source}: exec.env must be a list of {name, value}`);
  for (const [i, e] of rawEnv.entries()) {
    const entry = e as { name?: unknown; value?: unknown } | null;
    if (typeof entry?.name !== 'string' || entry.name === '' || typeof entry.value !== 'string') {
      throw new ExecCredentialError(`${source}: exec.env[${i}] must have a name and a string value`);
    }
    env[entry.name] = entry.value;
  }
  let mode = o.interactiveMode;
  if (mode === undefined || mode === '') {
    // client-go: v1 makes the author choose; v1beta1 keeps its old behaviour.
    if (apiVersion === 'client.authentication.k8s.io/v1') throw new ExecCredentialError(`${source}: exec.interactiveMode is required with ${apiVersion} (Never, IfAvailable or Always)`);
    mode = 'IfAvailable';
  }
  if (mode !== 'Never' && mode !== 'IfAvailable' && mode !== 'Always') {
    throw new ExecCredentialError(`${source}: exec.interactiveMode ${JSON.stringify(mode)} is not one of Never, IfAvailable, Always`);
  }
  const installHint = typeof o.installHint === 'string' && o.installHint !== '' ? o.installHint : undefined;
  return {
    apiVersion: apiVersion as ExecApiVersion,
    command: resolve(o.command),
    args: args,
    env,
    installHint,
    interactiveMode: mode,
    cluster: o.provideClusterInfo === true ? (cluster ?? {}) : undefined,
  };
}

/** The kubeconfig cluster as the ExecCredential's spec.cluster (camelCase, CA as base64 data). */
export function execClusterInfo(cluster: Record<string, unknown>, ca: string | undefined): Record<string, unknown> {
  const extensions = cluster.extensions;
  const execExtension = Array.isArray(extensions)
    ? (extensions as { name?: unknown; extension?: unknown }[]).find((e) => e.name === 'client.authentication.k8s.io/exec')?.extension
    : undefined;
  const info: Record<string, unknown> = { server: cluster.server };
  if (typeof cluster['tls-server-name'] === 'string') info['tls-server-name'] = cluster['tls-server-name'];
  if (cluster['insecure-skip-tls-verify'] === true) info['insecure-skip-tls-verify'] = true;
  if (ca !== undefined) info['certificate-authority-data'] = Buffer.from(ca).toString('base64');
  if (typeof cluster['proxy-url'] === 'string') info['proxy-url'] = cluster['proxy-url'];
  if (execExtension !== undefined) info.config = execExtension;
  return info;
}

/**
 * Runs the plugin when there is no valid answer, one run at a time; `invalidate()` after a 401
 * makes the next request run it again.
 */
export class ExecCredentialSource {
  readonly #c: ExecConfig;
  readonly #env: NodeJS.ProcessEnv;
  readonly #tty: boolean;
  readonly #now: () => number;
  #cached: ExecCredentials | undefined;
  #running: Promise<ExecCredentials> | undefined;
  /** How many times the plugin ran: for the metrics-minded and for tests. */
  runs = 0;

  constructor(config: ExecConfig, environment: ExecEnvironment = {}) {
    this.#c = config;
    this.#env = environment.env ?? process.env;
    this.#tty = environment.stdinIsTerminal ?? process.stdin.isTTY === true;
    this.#now = environment.now ?? Date.now;
  }

  get name(): string {
    return this.#c.command;
  }

  get(): Promise<ExecCredentials> {
    const c = this.#cached;
    if (c !== undefined && (c.expiresAt === undefined || c.expiresAt > this.#now())) return Promise.resolve(c);
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  invalidate(): void {
    this.#cached = undefined;
  }

  async #run(): Promise<ExecCredentials> {
    const interactive = this.#c.interactiveMode !== 'Never' && this.#tty;
    if (this.#c.interactiveMode === 'Always' && !this.#tty) {
      throw new ExecCredentialError(`exec plugin ${this.#c.command}: interactiveMode is Always but stdin is not a terminal`);
    }
    const request = {
      kind: 'ExecCredential',
      apiVersion: this.#c.apiVersion,
      spec: { interactive, ...(this.#c.cluster ? { cluster: this.#c.cluster } : {}) },
    };
    this.runs++;
    const { stdout, stderr, code, signal } = await runPlugin(this.#c, { ...this.#env, ...this.#c.env, KUBERNETES_EXEC_INFO: JSON.stringify(request) }, interactive);
    if (code !== 0) {
      const why = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
      throw new ExecCredentialError(`exec plugin ${this.#c.command} ${why}${stderr ? `: ${stderr}` : ''}`);
    }
    const creds = this.#parse(stdout);
    this.#cached = creds;
    return creds;
  }

  #parse(stdout: string): ExecCredentials {
    const bad = (why: string): ExecCredentialError => new ExecCredentialError(`exec plugin ${this.#c.command} printed no usable ExecCredential: ${why}`);
    let doc: { apiVersion?: unknown; kind?: unknown; status?: Record<string, unknown> };
    try {
      doc = JSON.parse(stdout) as typeof doc;
    } catch {
      throw bad('its output is not JSON');
    }
    if (doc.kind !== 'ExecCredential') throw bad(`kind is ${JSON.stringify(doc.kind)}`);
    if (doc.apiVersion !== this.#c.apiVersion) throw bad(`apiVersion ${JSON.stringify(doc.apiVersion)} differs from the kubeconfig's ${this.#c.apiVersion}`);
    const s = doc.status;
    if (typeof s !== 'object' || s === null) throw bad('status is missing');
    const str = (k: string): string | undefined => (typeof s[k] === 'string' && s[k] !== '' ? s[k] : undefined);
    const token = str('token');
    const cert = str('clientCertificateData');
    const key = str('clientKeyData');
    if ((cert === undefined) !== (key === undefined)) throw bad('clientCertificateData and clientKeyData come together');
    if (token === undefined && cert === undefined) throw bad('status has neither a token nor a client certificate');
    let expiresAt: number | undefined;
    const exp = s.expirationTimestamp;
    if (exp !== undefined && exp !== null && exp !== '') {
      expiresAt = typeof exp === 'string' ? Date.parse(exp) : NaN;
      if (Number.isNaN(expiresAt)) throw bad(`expirationTimestamp ${JSON.stringify(exp)} is not an RFC 3339 time`);
    }
    return { token, cert, key, expiresAt };
  }
}

const STDERR_KEEP = 2048;

function runPlugin(c: ExecConfig, env: NodeJS.ProcessEnv, interactive: boolean): Promise<{ stdout: string; stderr: string; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    // stderr goes to the user when a person may be there (device-code prompts are written to it).
    const child = spawn(c.command, [...c.args], { env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', interactive ? 'inherit' : 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => (err = (err + b.toString('utf8')).slice(-STDERR_KEEP)));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        reject(new ExecCredentialError(`exec plugin ${c.command} is not installed (not found${c.command.includes('/') ? '' : ' on PATH'})${c.installHint ? `\n\n${c.installHint.trim()}` : ''}`));
      } else {
        reject(new ExecCredentialError(`exec plugin ${c.command} cannot run: ${e.code ?? e.message}`));
      }
    });
    child.on('close', (code, signal) => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: err.trim(), code, signal }));
  });
}
