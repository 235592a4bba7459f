// The informer against the real API server and etcd (test/support/controlplane.ts), reached
// through a TcpProxy so a test can break the connection the ways networks do. It must never
// miss a change, whatever the watch does. Every case is the real thing:
//   - bookmarks: the watch cache bookmarks a watch 2 s before its timeoutSeconds if the
//     resourceVersion moved on since the watch started (changes elsewhere), then the server
//     ends the watch;
//   - 410 Gone: etcd compacted past the watch's resourceVersion, seen through a second API
//     server without a watch cache (the main one would replay from its cache); it arrives as an
//     ERROR event with code 410 in a 200 stream, which is how both the watch cache and the etcd
//     watch report it;
//   - silence: the proxy freezes the connection; errors: the proxy refuses or resets
//     connections, and a 403 while RBAC does not allow the watch yet.
import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import type { Fields, Logger } from '../../lib/log.ts';
import { ApiError, KubeClient, type Query } from '../../kube/client.ts';
import { Informer, type InformerOptions, type RestartReason } from '../../kube/informer.ts';
import type { Resource } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import { useControlPlane, type ControlPlane, type ExtraApiServer } from '../support/controlplane.ts';
import { eventually } from './support.ts';
import { TcpProxy } from './tcp-proxy.ts';

const CONFIGMAPS: Resource = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };

/** The real client, noting the query of every watch it opens: what the informer asked the server for. */
class RecordingClient extends KubeClient {
  readonly watches: Query[] = [];
  override openStream(path: string, query: Query, signal: AbortSignal): Promise<IncomingMessage> {
    this.watches.push(query);
    return super.openStream(path, query, signal);
  }
}

/** Keeps the informer's warnings (each retried failure, with its error). */
function warningsInto(warnings: Fields[]): Logger {
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (msg, fields) => warnings.push({ msg, ...fields }),
    error: (msg, fields) => warnings.push({ msg, ...fields }),
    child: () => logger,
  };
  return logger;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('kube informer: list, watch, and surviving broken watches, on a real API server @cluster', function () {
  const cluster = useControlPlane();
  let cp: ControlPlane;
  let ns: string;
  let proxy: TcpProxy | undefined;
  let client: RecordingClient | undefined;
  let informer: Informer | undefined;
  let log: string[];
  let restarts: RestartReason[];
  let warnings: Fields[];
  let lists: number;
  let resyncs: number;

  const count = (reason: RestartReason): number => restarts.filter((r) => r === reason).length;
  const path = (name?: string, namespace = ns): string => `/api/v1/namespaces/${namespace}/configmaps${name ? `/${name}` : ''}`;
  /** a write straight to the API server (never through the proxy); returns the new resourceVersion */
  async function write(method: 'POST' | 'PATCH' | 'DELETE', name: string, data?: Record<string, string>, namespace = ns): Promise<string> {
    const r =
      method === 'POST'
        ? await cp.api('POST', path(undefined, namespace), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data })
        : method === 'PATCH'
          ? await cp.api('PATCH', path(name, namespace), { data }, { contentType: 'application/merge-patch+json' })
          : await cp.api('DELETE', path(name, namespace));
    if (r.status >= 300) throw new Error(`${method} configmap ${namespace}/${name}: HTTP ${r.status} ${r.text}`);
    return (r.body as KubeObject).metadata.resourceVersion ?? '';
  }

  beforeEach(async () => {
    cp = cluster();
    ns = await cp.newNamespace('informer');
    await write('POST', 'a', { v: '1' });
    log = [];
    restarts = [];
    warnings = [];
    lists = 0;
    resyncs = 0;
  });
  afterEach(async () => {
    await informer?.stop();
    client?.close();
    await proxy?.close();
    informer = client = proxy = undefined;
  });

  /** Starts the informer on `ns`, through a fresh proxy to `via.server` (default: the main API server), as admin unless `via.token`. */
  async function start(opts: Partial<InformerOptions<KubeObject>> = {}, via: { server?: string; token?: string } = {}): Promise<Informer> {
    proxy = await TcpProxy.start(via.server ?? cp.server);
    const token = via.token;
    client = new RecordingClient({
      server: proxy.url,
      ca: cp.caPem,
      cert: token ? undefined : cp.adminCertPem,
      key: token ? undefined : cp.adminKeyPem,
      token: token ? () => token : undefined,
      insecureSkipTlsVerify: false,
      tlsServerName: undefined,
      namespace: undefined,
    });
    const inf = new Informer(client, {
      resource: CONFIGMAPS,
      namespace: ns,
      resyncMs: 0,
      idleTimeoutMs: 30_000,
      backoffInitialMs: 20,
      logger: warningsInto(warnings),
      onRestart: (r) => restarts.push(r),
      ...opts,
    });
    const name = (o: KubeObject): string => o.metadata.name ?? '?';
    inf.addHandler({
      onAdd: (o) => log.push(`add ${name(o)}`),
      onUpdate: (o) => log.push(`update ${name(o)}`),
      onDelete: (o) => log.push(`delete ${name(o)}`),
      onSynced: () => lists++,
      onResync: () => resyncs++,
    });
    informer = inf;
    inf.start();
    await inf.waitForSync();
    return inf;
  }
  const has = (name: string): true | undefined => (informer?.get(`${ns}/${name}`) ? true : undefined);
  /** a write, then wait until the informer has applied it: the watch is open and delivering */
  async function probe(name: string): Promise<string> {
    const rv = await write('POST', name);
    await eventually(`${name} through the watch`, () => has(name));
    return rv;
  }

  it("lists, then applies watch events in order from the list's resourceVersion", async () => {
    const inf = await start();
    const listRv = inf.resourceVersion;
    await write('POST', 'b');
    await write('PATCH', 'a', { v: '2' });
    await write('DELETE', 'b');
    await eventually('three events', () => (log.length === 4 ? true : undefined));
    expect(log).to.deep.equal(['add a', 'add b', 'update a', 'delete b']);
    expect(inf.keys()).to.deep.equal([`${ns}/a`]);
    expect((inf.get(`${ns}/a`) as KubeObject & { data?: Record<string, string> }).data).to.deep.equal({ v: '2' });
    expect(client!.watches[0]).to.include({ watch: 1, resourceVersion: listRv, allowWatchBookmarks: true });
    expect(lists).to.equal(1);
    expect(restarts).to.deep.equal([]);
  });

  it('resumes from the last bookmark when the server ends the watch: nothing replayed, nothing missed, no re-list', async function () {
    this.timeout(40_000);
    // The server ends each watch after 3 to 5 s, and bookmarks it 2 s before that if the
    // resourceVersion moved on since the watch started.
    const inf = await start({ watchTimeoutSeconds: 3 });
    const seenRv = await probe('p');
    // Changes the informer does not watch (another namespace) move the resourceVersion on; they
    // keep coming so that whichever watch is open has moved on at its bookmark time.
    const other = await cp.newNamespace('informer-other');
    let n = 0;
    const elsewhere = setInterval(() => void write('POST', `o${n++}`, undefined, other).catch(() => {}), 200);
    try {
      // only a bookmark can move the informer's resourceVersion without an event
      await eventually('a bookmark', () => (BigInt(inf.resourceVersion) > BigInt(seenRv) ? true : undefined), 20_000);
    } finally {
      clearInterval(elsewhere);
    }
    const closed = count('closed');
    proxy!.stopAccepting(); // the next watch cannot connect: what happens now happens between two watches
    const from = client!.watches.length;
    await eventually('the server ending the watch', () => (count('closed') > closed ? true : undefined), 10_000);
    // (the server may bookmark more than once before the end: the last one counts)
    const bookmarkRv = inf.resourceVersion;
    expect(BigInt(bookmarkRv) > BigInt(seenRv)).to.equal(true);
    await write('POST', 'c');
    await eventually('a refused watch', () => (count('error') > 0 ? true : undefined));
    proxy!.startAccepting();
    await eventually('c', () => has('c'), 10_000);
    const resumed = client!.watches.slice(from);
    expect(resumed.length).to.be.at.least(2);
    for (const w of resumed) expect(w.resourceVersion, 'every later watch resumes from the bookmark').to.equal(bookmarkRv);
    expect(log).to.deep.equal(['add a', 'add p', 'add c']);
    expect(lists).to.equal(1);
  });

  it('lists again on 410 Gone (etcd compacted past the watch) and reports what changed meanwhile, deletions included', async function () {
    this.timeout(60_000);
    // The main API server would replay the missed events from its watch cache; without one,
    // a watch goes to etcd, which refuses a compacted revision.
    const uncached: ExtraApiServer = await cp.startApiServer(['--watch-cache=false']);
    try {
      const inf = await start({}, { server: uncached.server });
      const watchedFrom = inf.resourceVersion;
      proxy!.stopAccepting();
      proxy!.reset(); // the watch dies, and the next ones cannot connect
      await write('DELETE', 'a');
      await write('POST', 'd');
      const revision = await etcdRevision(cp);
      expect(BigInt(revision) > BigInt(watchedFrom) + 1n).to.equal(true);
      await etcdCompact(cp, revision);
      expect(inf.resourceVersion, 'the informer saw none of it').to.equal(watchedFrom);
      proxy!.startAccepting();
      await eventually('the cache right again', () => (has('d') && !has('a') ? true : undefined), 20_000);
      expect(count('expired')).to.equal(1);
      expect(lists).to.equal(2);
      expect(log).to.have.length(3);
      expect(log).to.have.members(['add a', 'delete a', 'add d']);
      // and it watches again, from the new list
      await probe('e');
      expect(client!.watches.at(-1)!.resourceVersion).to.not.equal(watchedFrom);
    } finally {
      await informer?.stop();
      informer = undefined;
      await uncached.stop();
    }
  });

  it('restarts a watch that went silent (no events, no bookmarks, no close)', async () => {
    await start({ idleTimeoutMs: 1500 });
    await probe('p'); // the watch's connection just delivered: it is the one the proxy freezes
    const idle = count('idle');
    expect(proxy!.freeze()).to.be.at.least(1);
    await write('POST', 'e'); // never arrives on the frozen connection
    await eventually('e, after the silent watch was given up', () => has('e'), 15_000);
    expect(count('idle')).to.be.greaterThan(idle);
    expect(lists, 'resumed, not re-listed').to.equal(1);
    expect(log).to.deep.equal(['add a', 'add p', 'add e']);
  });

  it('backs off while connections are reset and refused, and recovers without a re-list', async () => {
    await start();
    await probe('p');
    proxy!.stopAccepting();
    expect(proxy!.reset()).to.be.at.least(1);
    const from = client!.watches.length;
    await sleep(1000); // retrying against a refused port meanwhile
    const attempts = client!.watches.length - from;
    expect(count('error')).to.be.at.least(2);
    // 20 ms doubling, with jitter: at most 7 in a second; a hot loop would make thousands
    expect(attempts, 'backed off').to.be.within(2, 15);
    const codes = warnings.map((w) => (w.error as NodeJS.ErrnoException | undefined)?.code);
    expect(codes[0], 'the open watch was reset').to.equal('ECONNRESET');
    expect(codes.slice(1), 'the next ones refused').to.include('ECONNREFUSED');
    await write('POST', 'f');
    proxy!.startAccepting();
    await eventually('f', () => has('f'), 10_000);
    expect(lists).to.equal(1);
    expect(log).to.deep.equal(['add a', 'add p', 'add f']);
  });

  it('backs off while the watch is forbidden (HTTP 403: RBAC allows list, not watch) and recovers once it is allowed', async () => {
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'informer' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] };
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}`;
    for (const [kind, body] of [
      ['roles', role],
      ['rolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'informer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'informer' }, subjects: [{ kind: 'ServiceAccount', name: 'informer', namespace: ns }] }],
    ] as const) {
      const r = await cp.api('POST', `${rbac}/${kind}`, body);
      expect(r.status, r.text).to.equal(201);
    }
    await start({}, { token: await cp.tokenFor(ns, 'informer') });
    await eventually('forbidden watches', () => (count('error') >= 3 ? true : undefined));
    const forbidden = warnings.filter((w) => w.error instanceof ApiError && w.error.status === 403);
    expect(forbidden.length).to.be.at.least(3);
    const r = await cp.api('PUT', `${rbac}/roles/informer`, { ...role, rules: [{ ...role.rules[0], verbs: ['get', 'list', 'watch'] }] });
    expect(r.status, r.text).to.equal(200);
    await write('POST', 'f');
    await eventually('f', () => has('f'), 15_000);
    expect(lists).to.equal(1);
    expect(log).to.deep.equal(['add a', 'add f']);
  });

  it('re-lists every relistMs without reporting what did not change, and calls onResync every resyncMs', async () => {
    // The server ends each watch after 1 s; the re-list happens between two watches.
    await start({ watchTimeoutSeconds: 1, relistMs: 500, resyncMs: 100 });
    await eventually('two periodic re-lists', () => (lists >= 3 ? true : undefined), 10_000);
    await eventually('resyncs', () => (resyncs >= 3 ? true : undefined));
    expect(restarts).to.include('closed').and.to.include('relist');
    expect(count('error') + count('expired') + count('idle')).to.equal(0);
    expect(log, 'a re-list of an unchanged world reports nothing').to.deep.equal(['add a']);
  });
});

/** etcd's current revision (the API server's resourceVersions are etcd revisions), through etcd's JSON gateway. */
async function etcdRevision(cp: ControlPlane): Promise<string> {
  const body = (await etcdPost(cp, '/v3/kv/range', { key: Buffer.from('/registry/namespaces/default').toString('base64') })) as { header?: { revision?: string } };
  if (!body.header?.revision) throw new Error(`etcd range: no revision in ${JSON.stringify(body)}`);
  return body.header.revision;
}

/** Compacts etcd's history up to `revision`: watches from an older resourceVersion get 410 Gone. */
async function etcdCompact(cp: ControlPlane, revision: string): Promise<void> {
  await etcdPost(cp, '/v3/kv/compaction', { revision, physical: true });
}

async function etcdPost(cp: ControlPlane, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, cp.etcdServer), { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as unknown;
}
