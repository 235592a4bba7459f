// The policy from the Kubernetes API (`--policy-ref NAMESPACE/NAME`, what the injector sets).
//
// Why the sidecar watches its own policy rather than have the operator push it: a watch needs
// no inbound port on the pod and no extra credentials (the operator grants the pod's service
// account a Role to read policies), it survives operator outages, and the API server's watch
// already gives ordered, resumable delivery in milliseconds. The informer re-lists and restarts
// silent watches, so an edit reaches every sidecar well within two seconds.
//
// Semantics: an edit takes effect when it arrives; an invalid policy or a deleted one makes the
// sidecar refuse traffic (fail closed); losing the API keeps the last good policy in force and
// says so (/readyz warning, mcp_residency_policy_stale 1) until the API answers again.
import type { Logger } from '../../lib/log.ts';
import { Informer } from '../../kube/informer.ts';
import type { KubeClient } from '../../kube/client.ts';
import { POLICIES } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import { formatPath } from '../../policy/problems.ts';
import { validatePolicy } from '../../policy/validate.ts';
import type { PolicyUpdate } from './holder.ts';

export interface PolicyRef {
  readonly namespace: string;
  readonly name: string;
}

export function parsePolicyRef(value: string): PolicyRef {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/u.exec(value);
  if (!m) throw new Error(`--policy-ref: "${value}" is not NAMESPACE/NAME`);
  return { namespace: m[1]!, name: m[3]! };
}

export interface KubePolicySourceOptions {
  readonly client: KubeClient;
  readonly ref: PolicyRef;
  readonly logger: Logger;
  readonly onUpdate: (update: PolicyUpdate) => Promise<void>;
  readonly onStale: (reason: string | undefined) => void;
  /** Watch tuning (tests shorten them). */
  readonly idleTimeoutMs?: number;
  readonly backoffMaxMs?: number;
}

export class KubePolicySource {
  readonly #o: KubePolicySourceOptions;
  readonly #informer: Informer;
  #lastError: { since: string; message: string } | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: KubePolicySourceOptions) {
    this.#o = options;
    const { ref } = options;
    this.#informer = new Informer(options.client, {
      resource: POLICIES,
      namespace: ref.namespace,
      fieldSelector: `metadata.name=${ref.name}`,
      idleTimeoutMs: options.idleTimeoutMs ?? 90_000,
      backoffMaxMs: options.backoffMaxMs ?? 5_000,
      backoffInitialMs: 200,
      logger: options.logger.child({ component: 'policy-watch' }),
      onRestart: (reason) => {
        if (reason === 'error' || reason === 'idle') this.#lost(`the watch on ${this.describe()} ${reason === 'idle' ? 'went silent' : 'failed'}`);
      },
      onConnected: () => this.#reachable(),
    });
    this.#informer.addHandler({
      onAdd: (obj) => this.#push(obj),
      onUpdate: (obj) => this.#push(obj),
      onDelete: () => this.#send({ ok: false, reason: `policy ${this.describe()} was deleted` }),
      onSynced: () => {
        this.#reachable();
        if (this.#informer.list().length === 0) this.#send({ ok: false, reason: `policy ${this.describe()} does not exist` });
      },
    });
  }

  describe(): string {
    return `${this.#o.ref.namespace}/${this.#o.ref.name}`;
  }

  /** Starts watching; resolves after the first list (whatever it found). */
  async start(): Promise<void> {
    this.#informer.start();
    await this.#informer.waitForSync();
    await this.#chain;
  }

  async stop(): Promise<void> {
    await this.#informer.stop();
  }

  #push(obj: KubeObject): void {
    this.#reachable();
    const { problems, policy } = validatePolicy(obj);
    if (policy) return this.#send({ ok: true, policy });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${formatPath(p.segments)}: ${p.message}`);
    this.#send({ ok: false, reason: `policy ${this.describe()} is invalid: ${errors.join('; ')}` });
  }

  /** Updates apply in arrival order, each after the previous one finished. */
  #send(update: PolicyUpdate): void {
    this.#chain = this.#chain.then(() => this.#o.onUpdate(update));
  }

  #lost(message: string): void {
    this.#lastError ??= { since: new Date().toISOString(), message };
    this.#o.onStale(`cannot reach the Kubernetes API since ${this.#lastError.since} (${this.#lastError.message})`);
  }

  #reachable(): void {
    if (this.#lastError === undefined) return;
    this.#lastError = undefined;
    this.#o.onStale(undefined);
  }
}
