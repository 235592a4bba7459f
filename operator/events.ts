// Kubernetes Events for what users must know (a pod running unprotected, a policy turning
// invalid). Each (object, reason, message) is told once: the Event's name is derived from them,
// so a restarted or newly elected operator does not repeat itself either (the create then
// answers AlreadyExists).
import { createHash } from 'node:crypto';
import type { Logger } from '../lib/log.ts';
import { isAlreadyExists, isNotFound, type KubeClient } from '../kube/client.ts';
import type { CoreEvent, ObjectReference } from '../kube/core.ts';
import { EVENTS } from '../kube/resources.ts';

export const COMPONENT = 'mcp-residency-operator';

export class EventRecorder {
  readonly #client: KubeClient;
  readonly #instance: string;
  readonly #log: Logger;
  readonly #told = new Set<string>();
  readonly #component: string;

  constructor(client: KubeClient, instance: string, logger: Logger, component = COMPONENT) {
    this.#client = client;
    this.#instance = instance;
    this.#log = logger;
    this.#component = component;
  }

  async emit(involved: ObjectReference & { name: string; namespace: string }, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const digest = createHash('sha256').update(`${involved.uid ?? ''}\n${reason}\n${message}`).digest('hex').slice(0, 12);
    const name = `${involved.name.slice(0, 200)}.mcpr-${digest}`;
    const key = `${involved.namespace}/${name}`;
    if (this.#told.has(key)) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/u, 'Z');
    const event: CoreEvent = {
      metadata: { name, namespace: involved.namespace },
      involvedObject: involved,
      reason,
      message: message.slice(0, 1024),
      type,
      source: { component: this.#component },
      reportingComponent: this.#component,
      reportingInstance: this.#instance,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
    };
    try {
      await this.#client.create(EVENTS, event);
    } catch (err) {
      // Already told (by us before a restart, or by another leader); a namespace being deleted.
      if (!isAlreadyExists(err) && !isNotFound(err)) throw err;
    }
    if (this.#told.size > 50_000) this.#told.clear(); // bounded; a repeat costs one 409
    this.#told.add(key);
    this.#log.debug('event', { object: `${involved.kind ?? ''}/${involved.namespace}/${involved.name}`, reason });
  }
}
