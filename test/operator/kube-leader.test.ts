// Leader election without an API server: a client whose every read fails keeps the elector
// campaigning, one retry after another, on the one signal it was started with.
import { getEventListeners } from 'node:events';
import { expect } from 'chai';
import { KubeClient } from '../../kube/client.ts';
import { LeaderElector } from '../../kube/leader.ts';
import type { Resource } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import { eventually } from '../support/eventually.ts';

class FailingClient extends KubeClient {
  gets = 0;
  override get<T extends KubeObject>(_r: Resource, _name: string): Promise<T> {
    this.gets++;
    return Promise.reject(new Error('connect ECONNREFUSED'));
  }
}

describe('kube leader election', () => {
  it('does not keep an abort listener per retry', async () => {
    // The elector's signal is private: note the controllers it makes while it starts.
    const made: AbortController[] = [];
    const Original = globalThis.AbortController;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made.push(this);
      }
    };
    const client = new FailingClient({ server: 'https://127.0.0.1:1', ca: undefined, cert: undefined, key: undefined, token: undefined, insecureSkipTlsVerify: false, tlsServerName: undefined, namespace: undefined });
    const elector = new LeaderElector(client, { namespace: 'ns', name: 'lease', identity: 'me', retryPeriodMs: 1, onStartedLeading: () => {} });
    try {
      elector.start();
    } finally {
      globalThis.AbortController = Original;
    }
    try {
      expect(made).to.have.length(1);
      const signal = made[0]!.signal;
      await eventually('20 retries', () => (client.gets >= 20 ? true : undefined));
      expect(getEventListeners(signal, 'abort').length).to.be.at.most(1);
    } finally {
      await elector.stop();
      client.close();
    }
  });
});
