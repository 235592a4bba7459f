// Webhook TLS without manual steps. Every replica watches the shared Secret and hot-reloads the
// serving certificate from it (no restart, linkerd#5341). The leader alone makes and rotates the
// certificates (plan.ts decides, rotate.ts does), writes the Secret with optimistic concurrency,
// and keeps every webhook configuration's caBundle equal to the trust bundle: it watches the
// configurations, so a bundle reverted by Helm or Argo CD is repaired within moments, and the
// informer's resync re-checks it periodically anyway.
import type { Logger } from '../../lib/log.ts';
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from '../../kube/client.ts';
import type { Secret, WebhookConfiguration } from '../../kube/core.ts';
import { Informer, type RestartReason } from '../../kube/informer.ts';
import { WorkQueue } from '../../kube/queue.ts';
import { SECRETS, type Resource } from '../../kube/resources.ts';
import type { HealthState } from '../../sidecar/admin/readiness.ts';
import type { OperatorMetrics } from '../metrics.ts';
import { caBundlePatch, trustsCa, trustsServing } from './cabundle.ts';
import { inspect, type CertificateFacts } from './pki.ts';
import { planTls, type TlsMaterial, type TlsTiming } from './plan.ts';
import { applyStep } from './rotate.ts';
import { fromSecret, servingPair, toSecret } from './secret.ts';

export interface WebhookConfigRef {
  readonly resource: Resource;
  readonly name: string;
}

export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface TlsManagerOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly secretName: string;
  /** DNS names and IPs for the serving certificate */
  readonly names: readonly string[];
  readonly timing: TlsTiming;
  readonly configs: readonly WebhookConfigRef[];
  /** how often the leader re-checks even when nothing happened */
  readonly checkIntervalMs: number;
  readonly labels: Record<string, string>;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly informer: { resyncMs: number; idleTimeoutMs: number };
  /** called with each new serving certificate (the first one starts the webhook server) */
  readonly onServing: (cert: ServingCertificate) => void;
}

export class TlsManager {
  readonly #o: TlsManagerOptions;
  readonly #secret: Informer<Secret>;
  readonly #configs: { ref: WebhookConfigRef; informer: Informer<WebhookConfiguration> }[];
  readonly #queue: WorkQueue;
  #leading = false;
  #timer: NodeJS.Timeout | undefined;
  #servingFingerprint: string | undefined;
  #servingPem: string | undefined;

  constructor(options: TlsManagerOptions) {
    this.#o = options;
    const restart = (resource: string) => (reason: RestartReason) => options.metrics.watchRestarts.inc({ resource, reason });
    this.#secret = new Informer<Secret>(options.client, {
      resource: SECRETS,
      namespace: options.namespace,
      fieldSelector: `metadata.name=${options.secretName}`,
      resyncMs: options.informer.resyncMs,
      idleTimeoutMs: options.informer.idleTimeoutMs,
      logger: options.logger,
      onRestart: restart('secrets'),
    });
    this.#configs = options.configs.map((ref) => ({
      ref,
      informer: new Informer<WebhookConfiguration>(options.client, {
        resource: ref.resource,
        fieldSelector: `metadata.name=${ref.name}`,
        resyncMs: options.informer.resyncMs,
        idleTimeoutMs: options.informer.idleTimeoutMs,
        logger: options.logger,
        onRestart: restart(ref.resource.plural),
      }),
    }));
    this.#queue = new WorkQueue(() => this.#reconcile(), {
      concurrency: 1,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      logger: options.logger,
      onError: () => options.metrics.reconcileErrors.inc({ controller: 'tls' }),
    });
    const kick = (): void => this.#kick();
    this.#secret.addHandler({ onAdd: (s) => (this.#load(s), kick()), onUpdate: (s) => (this.#load(s), kick()), onDelete: kick, onResync: kick, onSynced: kick });
    for (const { informer } of this.#configs) informer.addHandler({ onAdd: kick, onUpdate: kick, onDelete: kick, onResync: kick, onSynced: kick });
  }

  start(): void {
    this.#secret.start();
    for (const c of this.#configs) c.informer.start();
  }

  async stop(): Promise<void> {
    this.#leading = false;
    clearTimeout(this.#timer);
    this.#queue.stop();
    await Promise.all([this.#secret.stop(), ...this.#configs.map((c) => c.informer.stop())]);
  }

  /** Leadership changes: only the leader writes certificates and caBundles. */
  setLeading(leading: boolean): void {
    this.#leading = leading;
    if (leading) this.#kick();
    else clearTimeout(this.#timer);
  }

  /** For tests and benchmarks: resolves when no TLS work is pending. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  readiness(): HealthState {
    if (!this.#secret.synced || this.#configs.some((c) => !c.informer.synced)) return { ok: false, reason: 'watching the TLS Secret and webhook configurations' };
    if (!this.#servingPem) return { ok: false, reason: `waiting for the serving certificate in Secret ${this.#o.namespace}/${this.#o.secretName}` };
    for (const { ref, informer } of this.#configs) {
      const config = informer.get(ref.name);
      if (config && !trustsServing(config, this.#servingPem)) return { ok: false, reason: `${ref.resource.kind} ${ref.name} does not trust the serving certificate yet (caBundle)` };
    }
    return { ok: true };
  }

  #kick(): void {
    if (this.#leading) this.#queue.add('tls');
  }

  #load(secret: Secret): void {
    const pair = servingPair(secret);
    if (!pair) return;
    let facts: CertificateFacts;
    try {
      facts = inspect(pair.certPem);
      this.#o.metrics.certificateExpiry.set({ certificate: 'serving' }, facts.notAfter.getTime() / 1000);
      const ca = fromSecret(secret)?.caCerts[0];
      if (ca) this.#o.metrics.certificateExpiry.set({ certificate: 'ca' }, inspect(ca).notAfter.getTime() / 1000);
    } catch (err) {
      this.#o.logger.error('the TLS Secret holds a certificate that does not parse', { error: err });
      return;
    }
    if (facts.fingerprint === this.#servingFingerprint) return;
    this.#servingFingerprint = facts.fingerprint;
    this.#servingPem = pair.certPem;
    this.#o.logger.info('loaded the webhook serving certificate', { fingerprint: facts.fingerprint.slice(0, 23), notAfter: facts.notAfter.toISOString() });
    this.#o.onServing({ certPem: pair.certPem, keyPem: pair.keyPem });
  }

  async #reconcile(): Promise<void> {
    if (!this.#leading || !this.#secret.synced || this.#configs.some((c) => !c.informer.synced)) return;
    const o = this.#o;
    const stored = this.#secret.get(`${o.namespace}/${o.secretName}`);
    const before = fromSecret(stored);
    let material: TlsMaterial | undefined = before;
    const published = (m: TlsMaterial | undefined): boolean =>
      m !== undefined && this.#configs.every(({ ref, informer }) => {
        const c = informer.get(ref.name);
        return !c || trustsCa(c, m.caCerts[0]!);
      });
    let nextCheckAt = new Date(Date.now() + o.checkIntervalMs);
    for (let i = 0; i < 4; i++) {
      const now = new Date();
      const step = planTls({ material, now, names: o.names, published: published(material), timing: o.timing });
      if (step.kind === 'none') {
        if (step.nextCheckAt < nextCheckAt) nextCheckAt = step.nextCheckAt;
        break;
      }
      o.logger.info('webhook certificates: ' + step.kind, { reason: step.reason });
      material = await applyStep(material, step, o.names, now, o.timing);
      if (step.kind === 'add-ca') nextCheckAt = new Date(Math.min(nextCheckAt.getTime(), now.getTime() + o.timing.overlapMs));
    }
    if (!material) return;
    if (material !== before) await this.#write(stored, material);
    const bundle = material.caCerts.join('');
    for (const { ref, informer } of this.#configs) {
      const config = informer.get(ref.name);
      if (!config) continue; // not installed (yet): the API server does not call us through it
      const ops = caBundlePatch(config, bundle);
      if (ops.length === 0) continue;
      try {
        await o.client.patch(ref.resource, ref.name, ops, 'json');
      } catch (err) {
        if (isNotFound(err)) continue;
        throw err;
      }
      o.metrics.caBundlePatches.inc({ configuration: ref.name });
      o.logger.info('patched caBundle', { configuration: `${ref.resource.kind}/${ref.name}`, webhooks: ops.length / 2 });
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#kick(), Math.max(1000, nextCheckAt.getTime() - Date.now()));
    this.#timer.unref();
  }

  async #write(stored: Secret | undefined, material: TlsMaterial): Promise<void> {
    const o = this.#o;
    const secret = toSecret(o.secretName, o.namespace, material, o.labels);
    try {
      if (stored) {
        secret.metadata.resourceVersion = stored.metadata.resourceVersion;
        await o.client.replace(SECRETS, secret);
      } else {
        await o.client.create(SECRETS, secret);
      }
    } catch (err) {
      // Someone else wrote first (a previous leader, a racing replica): start over from theirs.
      if (isConflict(err) || isAlreadyExists(err)) throw new Error(`the TLS Secret changed underneath; retrying (${(err as Error).message})`, { cause: err });
      throw err;
    }
    this.#load(secret);
  }
}
