// How to reach the API server: from a kubeconfig file (what kubectl uses) or from inside a pod
// (the service account files). Only what a long-running process needs is supported: client
// certificates, bearer tokens and token files, CA data or files, and exec credential plugins
// (kubelogin, aws eks get-token, gke-gcloud-auth-plugin; see exec.ts). auth-provider entries
// (the azure and gcp ones left kubectl in 1.26) are refused by name so nobody wonders why a
// login "does nothing".
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ExecCredentialSource, execClusterInfo, parseExecConfig, type ExecEnvironment } from './exec.ts';

export interface Connection {
  /** https://host:port, no trailing slash */
  readonly server: string;
  /** PEM CA bundle to verify the server with; undefined: the system roots */
  readonly ca: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  /** the bearer token for the next request (token files are re-read as they rotate) */
  readonly token: (() => string | undefined) | undefined;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName: string | undefined;
  /** the context's namespace, or the pod's own in-cluster */
  readonly namespace: string | undefined;
  /** kubeconfig `as`/`as-groups` (kubectl --as/--as-group): act as this user, if allowed to */
  readonly impersonate?: { readonly user: string; readonly groups: readonly string[] } | undefined;
  /** An exec credential plugin: its token or client certificate, fetched before a request. */
  readonly exec?: ExecCredentialSource | undefined;
}

export class ConfigError extends Error {}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * A token file read at most once a `refreshMs`: kubelet rotates projected tokens (every hour or
 * so, at 80% of their life) and client-go re-reads them every minute; so do we.
 */
export function tokenFileReader(file: string, refreshMs = 60_000, now: () => number = Date.now): () => string {
  let cached: string | undefined;
  let readAt = -Infinity;
  let mtime = -1;
  return () => {
    const t = now();
    if (cached === undefined || t - readAt >= refreshMs) {
      let m: number;
      try {
        m = statSync(file).mtimeMs;
      } catch (err) {
        if (cached !== undefined) return cached; // a rotation in progress: keep the last good token
        throw new ConfigError(`cannot read token file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      if (cached === undefined || m !== mtime) {
        cached = readFileSync(file, 'utf8').trim();
        mtime = m;
      }
      readAt = t;
    }
    return cached;
  };
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
  contexts?: { name: string; context: { cluster?: string; user?: string; namespace?: string } }[];
}

export interface KubeconfigOptions {
  /** use this context instead of current-context */
  readonly context?: string | undefined;
  /** the environment exec plugins inherit, whether stdin is a terminal (tests) */
  readonly exec?: ExecEnvironment | undefined;
}

export function loadKubeconfig(path: string, options: KubeconfigOptions = {}): Connection {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read kubeconfig ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseKubeconfig(text, dirname(path), options, path);
}

/** `baseDir` resolves relative file references, as kubectl does (relative to the kubeconfig). */
export function parseKubeconfig(text: string, baseDir: string, options: KubeconfigOptions = {}, source = 'kubeconfig'): Connection {
  const doc = parseYaml(text) as KubeconfigFile | null;
  if (doc === null || typeof doc !== 'object') throw new ConfigError(`${source} is empty`);
  const contextName = options.context ?? doc['current-context'];
  if (!contextName) throw new ConfigError(`${source} has no current-context; pass a context`);
  const context = doc.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new ConfigError(`${source} has no context "${contextName}"`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new ConfigError(`${source}: context "${contextName}" names cluster "${String(context.cluster)}", which is not defined`);
  const user = context.user === undefined ? {} : doc.users?.find((u) => u.name === context.user)?.user;
  if (!user) throw new ConfigError(`${source}: context "${contextName}" names user "${String(context.user)}", which is not defined`);

  const str = (o: Record<string, unknown>, k: string): string | undefined => {
    const v = o[k];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new ConfigError(`${source}: ${k} must be a string`);
    return v;
  };
  const file = (p: string): string => (isAbsolute(p) ? p : join(baseDir, p));
  const readPem = (what: string, data: string | undefined, path: string | undefined): string | undefined => {
    if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
    if (path === undefined) return undefined;
    try {
      return readFileSync(file(path), 'utf8');
    } catch (err) {
      throw new ConfigError(`${source}: cannot read ${what} ${file(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };

  if (user['auth-provider'] !== undefined) {
    throw new ConfigError(`${source}: user "${String(context.user)}" uses auth-provider, which is not supported (kubectl 1.26 removed the azure and gcp ones); use an exec plugin: kubelogin, gke-gcloud-auth-plugin`);
  }
  const server = str(cluster, 'server');
  if (!server) throw new ConfigError(`${source}: cluster "${String(context.cluster)}" has no server`);
  const token = str(user, 'token');
  const tokenFile = str(user, 'tokenFile');
  const ca = readPem('certificate-authority', str(cluster, 'certificate-authority-data'), str(cluster, 'certificate-authority'));
  let exec: ExecCredentialSource | undefined;
  if (user.exec !== undefined && user.exec !== null) {
    try {
      // client-go: a command with a path separator is relative to the kubeconfig; a bare name is looked up on PATH.
      const config = parseExecConfig(user.exec, `${source}: user "${String(context.user)}"`, (c) => (c.includes('/') ? file(c) : c), execClusterInfo(cluster, ca));
      exec = new ExecCredentialSource(config, options.exec);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }
  return {
    server: server.replace(/\/+$/u, ''),
    ca,
    cert: readPem('client-certificate', str(user, 'client-certificate-data'), str(user, 'client-certificate')),
    key: readPem('client-key', str(user, 'client-key-data'), str(user, 'client-key')),
    token: token !== undefined ? () => token : tokenFile !== undefined ? tokenFileReader(file(tokenFile)) : undefined,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: str(cluster, 'tls-server-name'),
    namespace: context.namespace,
    ...impersonation(user, source),
    ...(exec ? { exec } : {}),
  };
}

function impersonation(user: Record<string, unknown>, source: string): Pick<Connection, 'impersonate'> {
  const as = user.as;
  if (as === undefined || as === null || as === '') return {};
  const groups = user['as-groups'] ?? [];
  if (typeof as !== 'string' || !Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
    throw new ConfigError(`${source}: "as" must be a user name and "as-groups" a list of group names`);
  }
  return { impersonate: { user: as, groups: groups } };
}

export interface InClusterOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** where the service account token, ca.crt and namespace are mounted */
  readonly dir?: string;
}

/** The config a pod gets from its service account, as client-go's rest.InClusterConfig. */
export function inClusterConfig(options: InClusterOptions = {}): Connection {
  const env = options.env ?? process.env;
  const dir = options.dir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new ConfigError('not running in a cluster (KUBERNETES_SERVICE_HOST/PORT are not set): pass --kubeconfig');
  }
  const tokenFile = join(dir, 'token');
  const token = tokenFileReader(tokenFile);
  token(); // fail now, with the file name, rather than on the first request
  let ca: string;
  try {
    ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${join(dir, 'ca.crt')}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    namespace = undefined;
  }
  const hostPart = host.includes(':') ? `[${host}]` : host; // IPv6 service IPs
  return { server: `https://${hostPart}:${port}`, ca, cert: undefined, key: undefined, token, insecureSkipTlsVerify: false, tlsServerName: undefined, namespace };
}

/** `--kubeconfig FILE` when given, in-cluster otherwise (the contract's rule for `operator`). */
export function loadConnection(kubeconfig: string | undefined, options: KubeconfigOptions & InClusterOptions = {}): Connection {
  return kubeconfig ? loadKubeconfig(kubeconfig, options) : inClusterConfig(options);
}
