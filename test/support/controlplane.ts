// The test control plane: etcd + kube-apiserver on free loopback ports in a temp dir, in the
// manner of controller-runtime's envtest. There is no kubelet, no scheduler and no
// controller-manager: pods are admitted (webhooks, policies, RBAC all apply) and then stay Pending.
//
// Usage, in a describe whose title contains `@cluster` (`make unit` skips those):
//
//   describe('operator @cluster', function () {
//     const cluster = useControlPlane();            // registers a before() with a long timeout
//     it('...', async () => { const ns = await cluster().newNamespace('op'); ... });
//   });
//
// or `const cp = await getControlPlane()` from a hook of your own with `this.timeout(...)` large
// enough for the first-ever build of the binaries (minutes; later runs: seconds).
//
// One control plane is started per mocha run, on first use, and stopped by the root hook in
// global-hooks.ts; the processes are also killed if the mocha process exits, is interrupted, or
// dies (a small reaper process watches it).
//
// What differs from a real cluster, because there is no controller-manager:
// - The `ServiceAccount` admission plugin stays on (pods get `serviceAccountName: default` and the
//   token volume, exactly as in a real cluster, so webhook tests see real-looking pods). It refuses
//   pods whose ServiceAccount does not exist, so the harness plays the ServiceAccount controller:
//   `createNamespace` creates the namespace's `default` ServiceAccount before returning, and a
//   watch creates it (a moment later) for namespaces made any other way (kubectl, helm).
// - Aggregated ClusterRoles (admin, edit, view) are filled once at startup, as the
//   clusterrole-aggregation controller would; `aggregate-to-*` ClusterRoles added later are not
//   aggregated.
// - Deleted namespaces stay Terminating forever and ownerReferences never cascade (no namespace
//   controller, no garbage collector): use a fresh namespace per test (`newNamespace`).
// - Deployments get no ReplicaSets or Pods (no deployment controller): to test pod admission,
//   create Pods directly.
//
// For what the main API server will not do on demand, `etcdServer` is etcd's client URL (its JSON
// gateway compacts, for one) and `startApiServer(flags)` starts another kube-apiserver on the same
// etcd with extra flags (e.g. --watch-cache=false), leaving the main one as it is.
//
// Every crds/*.yaml is applied at startup and each CRD waited on until Established; a CRD the API
// server rejects fails the start (and so every `@cluster` suite), with the API server's message.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { createCa, issueClient, issueServing } from '../../operator/tls/pki.ts';
import { freePort } from './net.ts';

export interface ControlPlaneBinaries {
  kubeApiserver: string;
  etcd: string;
  kubectl: string;
  helm: string;
  versions: { kubernetes: string; etcd: string; helm: string };
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface CommandOptions {
  /** written to the command's stdin */
  input?: string;
  /** extra environment variables (on top of the control plane's KUBECONFIG and kubectl/helm cache and config dirs) */
  env?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  /** the parsed JSON body, or the text when it is not JSON */
  body: unknown;
  text: string;
}

export interface ApiOptions {
  /** authenticate with this bearer token instead of the admin client certificate */
  token?: string;
  /** request content type (default application/json; use application/merge-patch+json etc. for PATCH) */
  contentType?: string;
}

/** one more kube-apiserver on the control plane's etcd (see ControlPlane.startApiServer) */
export interface ExtraApiServer {
  /** https://127.0.0.1:<port>; same CA and admin client certificate as the main API server */
  readonly server: string;
  stop(): Promise<void>;
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** etcd's client URL, http://127.0.0.1:<port> (it serves etcd's JSON gateway: /v3/kv/range, /v3/kv/compaction ...) */
  readonly etcdServer: string;
  /** an admin kubeconfig (CN=admin, O=system:masters), certs inline */
  readonly kubeconfigPath: string;
  readonly caPem: string;
  readonly adminCertPem: string;
  readonly adminKeyPem: string;
  /** --service-account-issuer, also the default token audience (--api-audiences) */
  readonly serviceAccountIssuer: string;
  readonly binaries: ControlPlaneBinaries;
  /** names of the CRDs installed from crds/*.yaml (all Established) */
  readonly crds: readonly string[];
  /** runs kubectl as admin; never throws on a non-zero exit */
  kubectl(args: string[], opts?: CommandOptions): Promise<CommandResult>;
  /** runs helm as admin; never throws on a non-zero exit */
  helm(args: string[], opts?: CommandOptions): Promise<CommandResult>;
  /** `kubectl apply -f -`; throws with kubectl's stderr on failure; returns stdout */
  apply(yamlText: string): Promise<string>;
  /** creates the namespace (ok if it exists) and its `default` ServiceAccount */
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** creates a namespace with a fresh name `<prefix>-<random>` and returns the name */
  newNamespace(prefix?: string): Promise<string>;
  /**
   * a token for the ServiceAccount via the TokenRequest API (the ServiceAccount is created if
   * missing; the namespace must exist). Default audience: the API server's (`serviceAccountIssuer`).
   */
  tokenFor(namespace: string, serviceAccount: string, audience?: string | string[], expirationSeconds?: number): Promise<string>;
  /** a raw API request, as admin unless `opts.token` is given; never throws on HTTP errors */
  api(method: string, path: string, body?: unknown, opts?: ApiOptions): Promise<ApiResponse>;
  /**
   * starts one more kube-apiserver on the same etcd, with the main one's flags plus `extraFlags`
   * (e.g. `--watch-cache=false`), and waits until it is ready; the main API server is untouched.
   * Stop it when done (the control plane's stop kills it too).
   */
  startApiServer(extraFlags: string[]): Promise<ExtraApiServer>;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const ensureScript = join(repoRoot, 'scripts', 'controlplane', 'ensure.sh');
const crdDir = join(repoRoot, 'crds');
const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** a generous mocha timeout for the hook that starts the control plane (covers a first build) */
export const CONTROL_PLANE_TIMEOUT_MS = 30 * 60_000;

let binariesPromise: Promise<ControlPlaneBinaries> | undefined;

/**
 * The binary paths, building them first if this machine has never built them
 * (`scripts/controlplane/ensure.sh --print-env`; milliseconds when cached).
 */
export function ensureBinaries(): Promise<ControlPlaneBinaries> {
  binariesPromise ??= new Promise<ControlPlaneBinaries>((resolve, reject) => {
    // stderr is passed through: a first-time build prints its progress there.
    const child = spawn('bash', [ensureScript, '--print-env'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${ensureScript} --print-env failed (exit ${String(code)}); see its output above`));
      const env = new Map<string, string>();
      for (const line of out.split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) env.set(line.slice(0, eq), line.slice(eq + 1));
      }
      const get = (k: string): string => {
        const v = env.get(k);
        if (!v) throw new Error(`ensure.sh --print-env did not print ${k}`);
        return v;
      };
      try {
        resolve({
          kubeApiserver: get('KUBE_APISERVER'),
          etcd: get('ETCD'),
          kubectl: get('KUBECTL'),
          helm: get('HELM'),
          versions: { kubernetes: get('KUBERNETES_VERSION'), etcd: get('ETCD_VERSION'), helm: get('HELM_VERSION') },
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
  binariesPromise.catch(() => (binariesPromise = undefined));
  return binariesPromise;
}

let current: Promise<Running> | undefined;

/** The control plane of this mocha run, started on first call. */
export async function getControlPlane(): Promise<ControlPlane> {
  current ??= startWithRetries();
  try {
    return (await current).api;
  } catch (err) {
    current = undefined; // let a later suite try again rather than replaying a stale failure
    throw err;
  }
}

/**
 * Registers a `before` hook (with a timeout long enough for a first-time build) that starts the
 * control plane, and returns a getter for it to use inside tests.
 */
export function useControlPlane(): () => ControlPlane {
  let cp: ControlPlane | undefined;
  before(async function () {
    this.timeout(CONTROL_PLANE_TIMEOUT_MS);
    cp = await getControlPlane();
  });
  return () => {
    if (!cp) throw new Error('the control plane is not started: call useControlPlane() inside a describe');
    return cp;
  };
}

/** Stops the control plane if one was started (global-hooks.ts calls it after the run). */
export async function stopControlPlane(): Promise<void> {
  const p = current;
  current = undefined;
  if (!p) return;
  let running: Running;
  try {
    running = await p;
  } catch {
    return; // start failed and cleaned up after itself
  }
  await running.stop();
}

// ---------------------------------------------------------------------------------------------

interface Running {
  api: ControlPlane;
  stop(): Promise<void>;
}

function log(msg: string): void {
  process.stderr.write(`[controlplane] ${msg}\n`);
}

async function startWithRetries(): Promise<Running> {
  const t0 = Date.now();
  // Only talk when it is slow: a cached start takes a few seconds and stays silent.
  const slow = setInterval(() => log(`still starting etcd + kube-apiserver (${Math.round((Date.now() - t0) / 1000)}s)...`), 15_000);
  slow.unref();
  try {
    const bins = await ensureBinaries();
    for (let attempt = 1; ; attempt++) {
      try {
        const running = await startOnce(bins);
        const secs = (Date.now() - t0) / 1000;
        if (secs > 15) log(`ready after ${secs.toFixed(1)}s at ${running.api.server}`);
        return running;
      } catch (err) {
        // Free ports are picked then released before etcd binds them; another process can win
        // that race. Start over on fresh ports.
        if (attempt < 3 && err instanceof PortInUseError) continue;
        throw err;
      }
    }
  } finally {
    clearInterval(slow);
  }
}

class PortInUseError extends Error {}

interface Pki {
  caPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  saPublicPem: string;
  saPrivatePem: string;
}

// --- PKI -------------------------------------------------------------------------------------

const PKI_VALIDITY_MS = 7 * 24 * 60 * 60_000;

async function generatePki(): Promise<Pki> {
  const now = new Date();
  const ca = await createCa('mcp-residency-test-ca', PKI_VALIDITY_MS, now);
  const sans = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost', '127.0.0.1', '10.0.0.1'];
  const [serving, admin] = await Promise.all([
    issueServing(ca, sans, PKI_VALIDITY_MS, now),
    issueClient(ca, 'CN=admin, O=system:masters', PKI_VALIDITY_MS, now),
  ]);
  // The service-account key is a bare key pair: the API server signs and checks tokens with it.
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    caPem: ca.certPem,
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
    saPublicPem: sa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    saPrivatePem: sa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/**
 * A kubeconfig that authenticates with a bearer token (from tokenFor), as a ServiceAccount in a pod
 * would, instead of as admin. `server` stands in for the API server's URL, e.g. a proxy in front of it.
 */
export function tokenKubeconfig(cp: ControlPlane, token: string, options: { server?: string; namespace?: string } = {}): string {
  const ns = options.namespace === undefined ? '' : `, namespace: ${options.namespace}`;
  return (
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${options.server ?? cp.server}", certificate-authority-data: ${Buffer.from(cp.caPem).toString('base64')}}}]\n` +
    `users: [{name: u, user: {token: "${token}"}}]\ncontexts: [{name: x, context: {cluster: c, user: u${ns}}}]\ncurrent-context: x\n`
  );
}

function kubeconfigYaml(server: string, pki: Pki): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(pki.caPem)}
users:
- name: admin
  user:
    client-certificate-data: ${b64(pki.adminCertPem)}
    client-key-data: ${b64(pki.adminKeyPem)}
contexts:
- name: test
  context: { cluster: test, user: admin }
current-context: test
`;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function runCommand(bin: string, args: string[], env: NodeJS.ProcessEnv, opts: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { env: { ...env, ...opts.env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`${bin}: ${err.message}`));
      resolve({ stdout, stderr, code: err ? Number(err.code) : 0 });
    });
    child.stdin?.end(opts.input ?? '');
  });
}

// Kills whatever is left if the mocha process dies without running its exit handlers (SIGKILL,
// a crash in native code): polls the parent pid, then kills the children and removes the dir.
function spawnReaper(dir: string, pids: number[]): ChildProcess {
  const script = 'p=$1; d=$2; shift 2; while kill -0 "$p" 2>/dev/null; do sleep 1; done; kill -9 "$@" 2>/dev/null; rm -rf "$d"';
  const reaper = spawn('sh', ['-c', script, 'reaper', String(process.pid), dir, ...pids.map(String)], { detached: true, stdio: 'ignore' });
  reaper.unref();
  return reaper;
}

/** SIGKILLs a child and waits for its exit: throwaway data, no need for a graceful shutdown. */
function killAndWait(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

function killQuietly(pid: number | undefined): void {
  try {
    if (pid) process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/**
 * Reports a child that fails to start or exits: `exited` says what exited (how: signal or
 * code), the log's tail follows; a PortInUseError when the log says its port was taken.
 */
function onEarlyExit(child: ChildProcess, name: string, logFile: string, exited: (how: string) => string, report: (err: Error) => void): void {
  child.on('error', (err) => report(new Error(`${name} failed to start: ${err.message}`)));
  child.on('exit', (code, signal) => {
    const log = tail(logFile);
    const msg = `${exited(signal ?? `code ${String(code)}`)}:\n${log}`;
    report(/address already in use/.test(log) ? new PortInUseError(msg) : new Error(msg));
  });
}

const exitCleanups = new Set<() => void>();
let signalHandlersInstalled = false;
function installExitHandlers(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  const runAll = (): void => {
    for (const f of exitCleanups) f();
    exitCleanups.clear();
  };
  process.on('exit', runAll);
  for (const [sig, num] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
    process.once(sig, () => {
      runAll();
      process.exit(128 + num);
    });
  }
}

async function startOnce(bins: ControlPlaneBinaries): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-residency-cp-'));
  const children: ChildProcess[] = [];
  let reaper: ChildProcess | undefined;
  const agents: Agent[] = [];
  let watchAbort: AbortController | undefined;

  const killAllSync = (): void => {
    watchAbort?.abort();
    for (const a of agents) a.destroy();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    killQuietly(reaper?.pid);
    rmSync(dir, { recursive: true, force: true });
  };
  exitCleanups.add(killAllSync);
  installExitHandlers();

  const stop = async (): Promise<void> => {
    exitCleanups.delete(killAllSync);
    await Promise.all(children.map(killAndWait));
    killAllSync(); // the children are gone: what is left is the watch, the agents, the reaper and the dir
  };

  try {
    const pki = await generatePki();
    const pkiDir = join(dir, 'pki');
    await mkdir(pkiDir);
    const files = {
      ca: join(pkiDir, 'ca.crt'),
      servingCert: join(pkiDir, 'apiserver.crt'),
      servingKey: join(pkiDir, 'apiserver.key'),
      saPub: join(pkiDir, 'sa.pub'),
      saKey: join(pkiDir, 'sa.key'),
    };
    await Promise.all([
      writeFile(files.ca, pki.caPem),
      writeFile(files.servingCert, pki.servingCertPem),
      writeFile(files.servingKey, pki.servingKeyPem, { mode: 0o600 }),
      writeFile(files.saPub, pki.saPublicPem),
      writeFile(files.saKey, pki.saPrivatePem, { mode: 0o600 }),
    ]);

    const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const server = `https://127.0.0.1:${apiPort}`;

    const launch = (name: string, bin: string, args: string[]): ChildProcess => {
      const logFile = join(dir, `${name}.log`);
      const fd = openSync(logFile, 'a');
      try {
        const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', fd, fd] });
        children.push(child);
        return child;
      } finally {
        closeSync(fd);
      }
    };

    const etcd = launch('etcd', bins.etcd, [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`,
      '--unsafe-no-fsync=true', // test data: durability buys nothing, fsyncs cost seconds
      '--log-level=warn',
    ]);
    const apiserverArgs = (port: number): string[] => [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${pkiDir}`,
      `--tls-cert-file=${files.servingCert}`,
      `--tls-private-key-file=${files.servingKey}`,
      `--client-ca-file=${files.ca}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,NodeRestriction,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,ResourceQuota',
      `--service-account-issuer=${SA_ISSUER}`,
      `--api-audiences=${SA_ISSUER}`,
      `--service-account-key-file=${files.saPub}`,
      `--service-account-signing-key-file=${files.saKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      // the loopback advertise address is not a valid Endpoints IP; nothing runs pods anyway
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--profiling=false',
      '--v=1',
    ];
    // kube-apiserver waits for etcd by itself: start both at once.
    const apiserver = launch('kube-apiserver', bins.kubeApiserver, apiserverArgs(apiPort));

    reaper = spawnReaper(dir, children.flatMap((c) => (c.pid ? [c.pid] : [])));

    let died: Error | undefined;
    for (const [name, child] of [['etcd', etcd], ['kube-apiserver', apiserver]] as const) {
      onEarlyExit(child, name, join(dir, `${name}.log`), (how) => `${name} exited (${how}) before the control plane was ready`, (err) => (died ??= err));
    }

    const adminAgent = new Agent({ ca: pki.caPem, cert: pki.adminCertPem, key: pki.adminKeyPem, keepAlive: true });
    const tokenAgent = new Agent({ ca: pki.caPem, keepAlive: true });
    // its own agent: the watch's socket is unref'd, and must never be reused for a request
    const watchAgent = new Agent({ ca: pki.caPem, cert: pki.adminCertPem, key: pki.adminKeyPem });
    agents.push(adminAgent, tokenAgent, watchAgent);

    const api = (method: string, path: string, body?: unknown, opts: ApiOptions = {}): Promise<ApiResponse> =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
        const headers: Record<string, string> = { accept: 'application/json' };
        if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
        if (opts.token) headers.authorization = `Bearer ${opts.token}`;
        const req = request(new URL(path, server), { method, headers, agent: opts.token ? tokenAgent : adminAgent }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      });

    // Wait for /readyz (it covers etcd, RBAC bootstrap roles and the other post-start hooks).
    const waitReady = async (url: string, logName: string, failed: () => Error | undefined): Promise<void> => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const err = failed();
        if (err) throw err;
        if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after 120s:\n${tail(join(dir, `${logName}.log`))}`);
        const ok = await new Promise<boolean>((resolve) => {
          const req = request(new URL('/readyz', url), { agent: adminAgent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode === 200));
            res.on('error', () => resolve(false));
          });
          req.on('error', () => resolve(false));
          req.end();
        });
        if (ok) return;
        await sleep(100);
      }
    };
    await waitReady(server, 'kube-apiserver', () => died);

    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(server, pki), { mode: 0o600 });
    const env: Record<string, string> = {
      KUBECONFIG: kubeconfigPath,
      KUBECACHEDIR: join(dir, 'kube-cache'),
      HELM_CACHE_HOME: join(dir, 'helm', 'cache'),
      HELM_CONFIG_HOME: join(dir, 'helm', 'config'),
      HELM_DATA_HOME: join(dir, 'helm', 'data'),
    };
    const childEnv = (): NodeJS.ProcessEnv => ({ ...process.env, ...env });

    const createServiceAccount = async (namespace: string, name: string): Promise<void> => {
      const r = await api('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name },
      });
      if (r.status !== 201 && r.status !== 409) throw new Error(`creating ServiceAccount ${namespace}/${name}: HTTP ${r.status} ${r.text}`);
    };

    watchAbort = new AbortController();
    watchNamespacesForDefaultServiceAccounts(server, watchAgent, watchAbort.signal, (ns) => createServiceAccount(ns, 'default'));

    const [crds] = await Promise.all([installCrds(api, (args) => runCommand(bins.kubectl, args, childEnv())), aggregateClusterRoles(api)]);

    const createNamespace = async (name: string, labels?: Record<string, string>): Promise<void> => {
      const r = await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
      if (r.status !== 201 && r.status !== 409) throw new Error(`creating namespace ${name}: HTTP ${r.status} ${r.text}`);
      await createServiceAccount(name, 'default');
    };

    const startApiServer = async (extraFlags: string[]): Promise<ExtraApiServer> => {
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const logName = `kube-apiserver-${port}`;
        const child = launch(logName, bins.kubeApiserver, [...apiserverArgs(port), ...extraFlags]);
        const childReaper = spawnReaper(dir, child.pid ? [child.pid] : []);
        let exited: Error | undefined;
        onEarlyExit(child, 'kube-apiserver', join(dir, `${logName}.log`), (how) => `kube-apiserver ${extraFlags.join(' ')} exited (${how})`, (err) => (exited ??= err));
        const stopExtra = async (): Promise<void> => {
          await killAndWait(child);
          const i = children.indexOf(child);
          if (i >= 0) children.splice(i, 1);
          killQuietly(childReaper.pid);
        };
        try {
          await waitReady(`https://127.0.0.1:${port}`, logName, () => exited);
        } catch (err) {
          await stopExtra();
          if (attempt < 3 && err instanceof PortInUseError) continue;
          throw err;
        }
        return { server: `https://127.0.0.1:${port}`, stop: stopExtra };
      }
    };

    const cp: ControlPlane = {
      server,
      etcdServer: etcdUrl,
      kubeconfigPath,
      caPem: pki.caPem,
      adminCertPem: pki.adminCertPem,
      adminKeyPem: pki.adminKeyPem,
      serviceAccountIssuer: SA_ISSUER,
      binaries: bins,
      crds,
      kubectl: (args, opts) => runCommand(bins.kubectl, args, childEnv(), opts),
      helm: (args, opts) => runCommand(bins.helm, args, childEnv(), opts),
      async apply(yamlText) {
        const r = await runCommand(bins.kubectl, ['apply', '-f', '-'], childEnv(), { input: yamlText });
        if (r.code !== 0) throw new Error(`kubectl apply failed (exit ${r.code}): ${r.stderr.trim()}`);
        return r.stdout;
      },
      createNamespace,
      async newNamespace(prefix = 'test') {
        const name = `${prefix}-${randomBytes(3).toString('hex')}`;
        await createNamespace(name);
        return name;
      },
      async tokenFor(namespace, serviceAccount, audience, expirationSeconds = 3600) {
        await createServiceAccount(namespace, serviceAccount);
        const audiences = audience === undefined ? undefined : Array.isArray(audience) ? audience : [audience];
        const r = await api('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences, expirationSeconds },
        });
        const token = (r.body as { status?: { token?: unknown } } | undefined)?.status?.token;
        if (r.status !== 201 || typeof token !== 'string') throw new Error(`TokenRequest for ${namespace}/${serviceAccount}: HTTP ${r.status} ${r.text}`);
        return token;
      },
      api,
      startApiServer,
    };
    return { api: cp, stop };
  } catch (err) {
    exitCleanups.delete(killAllSync);
    killAllSync();
    throw err;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Applies every crds/*.yaml and waits until each CRD in them is Established. */
async function installCrds(
  api: (method: string, path: string) => Promise<ApiResponse>,
  kubectl: (args: string[]) => Promise<CommandResult>,
): Promise<string[]> {
  if (!existsSync(crdDir)) return [];
  const files = (await readdir(crdDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const names: string[] = [];
  const applyArgs: string[] = [];
  for (const f of files) {
    const path = join(crdDir, f);
    const text = await readFile(path, 'utf8');
    let hasContent = false;
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
      if (obj == null) continue;
      hasContent = true;
      if (obj.kind === 'CustomResourceDefinition' && typeof obj.metadata?.name === 'string') names.push(obj.metadata.name);
    }
    if (hasContent) applyArgs.push('-f', path);
  }
  if (applyArgs.length === 0) return [];
  // Server-side apply: CRDs with big schemas overflow client-side apply's annotation.
  const r = await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=test-controlplane', ...applyArgs]);
  if (r.code !== 0) throw new Error(`installing crds/*.yaml failed: ${r.stderr.trim()}`);
  const deadline = Date.now() + 30_000;
  for (const name of names) {
    for (;;) {
      const res = await api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions = (res.body as { status?: { conditions?: { type: string; status: string; message?: string }[] } }).status?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 30s: ${JSON.stringify(conditions)}`);
      await sleep(50);
    }
  }
  return names;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface ClusterRole {
  metadata: { name: string; labels?: Record<string, string> };
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
  rules?: unknown[];
}

function selects(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const ok = e.operator === 'In' ? inValues : e.operator === 'NotIn' ? !inValues : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return true;
}

/** The clusterrole-aggregation controller's job, done once at startup. */
async function aggregateClusterRoles(
  api: (method: string, path: string, body?: unknown, opts?: ApiOptions) => Promise<ApiResponse>,
): Promise<void> {
  const path = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
  const list = await api('GET', path);
  if (list.status !== 200) throw new Error(`listing ClusterRoles: HTTP ${list.status} ${list.text}`);
  const roles = (list.body as { items: ClusterRole[] }).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  // Aggregated roles can select other aggregated roles (admin <- edit <- view): iterate to a fixed point.
  const rulesOf = new Map(roles.map((r) => [r.metadata.name, r.rules ?? []]));
  for (let changed = true, rounds = 0; changed && rounds < 10; rounds++) {
    changed = false;
    for (const role of roles) {
      const selectors = role.aggregationRule?.clusterRoleSelectors;
      if (!selectors?.length) continue;
      const rules: unknown[] = [];
      const seen = new Set<string>();
      for (const other of roles) {
        if (other.metadata.name === role.metadata.name || !selectors.some((s) => selects(s, other.metadata.labels ?? {}))) continue;
        for (const rule of rulesOf.get(other.metadata.name) ?? []) {
          const key = JSON.stringify(rule);
          if (!seen.has(key)) (seen.add(key), rules.push(rule));
        }
      }
      if (JSON.stringify(rules) !== JSON.stringify(rulesOf.get(role.metadata.name))) (rulesOf.set(role.metadata.name, rules), (changed = true));
    }
  }
  await Promise.all(
    roles.map(async (role) => {
      const rules = rulesOf.get(role.metadata.name) ?? [];
      if (!role.aggregationRule || JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return;
      const r = await api('PATCH', `${path}/${role.metadata.name}`, { rules }, { contentType: 'application/merge-patch+json' });
      if (r.status !== 200) throw new Error(`aggregating ClusterRole ${role.metadata.name}: HTTP ${r.status} ${r.text}`);
    }),
  );
}

/**
 * The ServiceAccount controller's job: every namespace gets a `default` ServiceAccount. Watches
 * namespaces (the initial list arrives as ADDED events) and reconnects until aborted.
 */
function watchNamespacesForDefaultServiceAccounts(
  server: string,
  agent: Agent,
  signal: AbortSignal,
  ensure: (namespace: string) => Promise<void>,
): void {
  const connect = (): void => {
    if (signal.aborted) return;
    const req = request(new URL('/api/v1/namespaces?watch=true&allowWatchBookmarks=false', server), { agent, signal }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          try {
            const ev = JSON.parse(line) as { type?: string; object?: { metadata?: { name?: string }; status?: { phase?: string } } };
            const name = ev.object?.metadata?.name;
            if (ev.type === 'ADDED' && name && ev.object?.status?.phase !== 'Terminating') ensure(name).catch(() => {});
          } catch {
            /* partial or non-JSON line */
          }
        }
      });
      res.on('error', () => {});
      res.on('end', () => setTimeout(connect, 200).unref());
    });
    req.on('error', () => {
      if (!signal.aborted) setTimeout(connect, 500).unref();
    });
    req.on('socket', (s) => s.unref());
    req.end();
  };
  connect();
}
