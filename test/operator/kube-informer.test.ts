// The informer against a fake API server that misbehaves on demand: it must never miss a
// change, whatever the watch does.
import { expect } from 'chai';
import { KubeClient } from '../../kube/client.ts';
import type { Connection } from '../../kube/config.ts';
import { Informer, type RestartReason } from '../../kube/informer.ts';
import type { Resource } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import { FakeApiServer } from './fake-apiserver.ts';
import { eventually } from './support.ts';

const CONFIGMAPS: Resource = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };

describe('kube informer: list, watch, and surviving broken watches', () => {
  let api: FakeApiServer;
  let client: KubeClient;
  let informer: Informer;
  let log: string[];
  let restarts: RestartReason[];

  beforeEach(async () => {
    api = await FakeApiServer.start();
    const conn: Connection = { server: api.url, ca: api.ca, cert: undefined, key: undefined, token: () => 't', insecureSkipTlsVerify: false, tlsServerName: undefined, namespace: undefined };
    client = new KubeClient(conn);
    log = [];
    restarts = [];
    api.write('ADDED', 'a', { data: { v: '1' } });
  });
  afterEach(async () => {
    await informer?.stop();
    client.close();
    await api.close();
  });

  function start(opts: { idleTimeoutMs?: number; backoffInitialMs?: number } = {}): void {
    informer = new Informer(client, { resource: CONFIGMAPS, namespace: 'ns', resyncMs: 0, idleTimeoutMs: opts.idleTimeoutMs ?? 30_000, backoffInitialMs: opts.backoffInitialMs ?? 20, onRestart: (r) => restarts.push(r) });
    const name = (o: KubeObject): string => o.metadata.name ?? '?';
    informer.addHandler({
      onAdd: (o) => log.push(`add ${name(o)}`),
      onUpdate: (o) => log.push(`update ${name(o)}`),
      onDelete: (o) => log.push(`delete ${name(o)}`),
    });
    informer.start();
  }
  const watching = (n = 1): Promise<boolean> => eventually(`${n} watch(es)`, () => (api.openWatches >= 1 && api.watchRequests.length >= n ? true : undefined), 5000, 10);

  it('lists, then applies watch events in order from the list\'s resourceVersion', async () => {
    start();
    await informer.waitForSync();
    await watching();
    expect(api.watchRequests[0]!.get('resourceVersion')).to.equal(String(api.rv));
    expect(api.watchRequests[0]!.get('allowWatchBookmarks')).to.equal('true');
    api.write('ADDED', 'b');
    api.write('MODIFIED', 'a', { data: { v: '2' } });
    api.write('DELETED', 'b');
    await eventually('three events', () => (log.length === 4 ? true : undefined));
    expect(log).to.deep.equal(['add a', 'add b', 'update a', 'delete b']);
    expect(informer.keys()).to.deep.equal(['ns/a']);
  });

  it('resumes from the last bookmark when the server ends the watch: nothing replayed, nothing missed, no re-list', async () => {
    start();
    await watching();
    api.bookmark();
    const bookmarkRv = String(api.rv);
    await eventually('the bookmark applied', () => (informer.resourceVersion === bookmarkRv ? true : undefined));
    api.closeWatches();
    api.write('ADDED', 'c'); // while no watch is open
    await watching(2);
    expect(api.watchRequests[1]!.get('resourceVersion')).to.equal(bookmarkRv);
    await eventually('c', () => (informer.get('ns/c') ? true : undefined));
    expect(api.lists).to.equal(1);
    expect(log).to.deep.equal(['add a', 'add c']);
    expect(restarts).to.include('closed');
  });

  it('lists again on 410 Gone and reports what changed meanwhile, deletions included', async () => {
    start();
    await watching();
    api.closeWatches();
    api.mode = 'gone'; // the next watch attempt: resourceVersion too old
    api.write('DELETED', 'a');
    api.write('ADDED', 'd');
    api.compact();
    await eventually('a re-list', () => (api.lists >= 2 ? true : undefined));
    api.mode = 'stream';
    await eventually('the cache right again', () => (informer.get('ns/d') && !informer.get('ns/a') ? true : undefined));
    expect(log).to.have.members(['add a', 'delete a', 'add d']);
    expect(restarts).to.include('expired');
    expect(api.lists, 'paced, not a hot loop of list and 410').to.be.lessThan(15);
  });

  it('restarts a watch that went silent (no events, no bookmarks, no close)', async () => {
    start({ idleTimeoutMs: 300 });
    await informer.waitForSync();
    api.mode = 'silent';
    api.closeWatches(); // the next watch is accepted and then says nothing, forever
    await eventually('a silent watch', () => (api.watchRequests.length >= 2 ? true : undefined), 5000, 10);
    api.mode = 'stream';
    api.write('ADDED', 'e');
    await eventually('e, after the idle restart', () => (informer.get('ns/e') ? true : undefined), 5000, 10);
    expect(restarts).to.include('idle');
  });

  it('backs off on errors and recovers', async () => {
    api.mode = 'error500';
    start({ backoffInitialMs: 20 });
    await eventually('a few failed watches', () => (api.watchRequests.length >= 3 ? true : undefined), 5000, 10);
    expect(restarts.filter((r) => r === 'error').length).to.be.at.least(2);
    api.mode = 'stream';
    api.write('ADDED', 'f');
    await eventually('f', () => (informer.get('ns/f') ? true : undefined), 5000, 10);
  });
});
