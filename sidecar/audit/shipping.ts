// Shipping follows the policy: when it names an Application Insights connection string, the
// shipper runs (and retention keeps every record it has not delivered); when the policy stops
// naming one, or names another Secret, the shipper stops or restarts. Shipping trouble never
// stops traffic: records wait on disk, /readyz and the metrics say so.
import type { TokenCredential } from '@azure/identity';
import type { Logger } from '../../lib/log.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import type { AuditLog } from './log.ts';
import type { Shipper, ShipperOptions, Unshipped } from './shipper.ts';
import type { HealthState } from '../admin/readiness.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import type { PolicyState } from '../policy/runtime.ts';
import { secretPath } from '../policy/secrets.ts';

export interface ShippingOptions {
  readonly secretsDir: string | undefined;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  /** For a local or private ingestion endpoint (tests). */
  readonly exporterOptions?: ShipperOptions['exporterOptions'];
  readonly tuning?: Pick<ShipperOptions, 'backoff' | 'pollIntervalMs' | 'requestTimeoutMs' | 'stopGraceMs'>;
}

export class Shipping {
  readonly #o: ShippingOptions;
  #log: AuditLog | undefined;
  #shipper: Shipper | undefined;
  #file: string | undefined;
  #authentication: string | undefined;
  #problem: string | undefined;
  #queue: Promise<void> = Promise.resolve();

  constructor(options: ShippingOptions) {
    this.#o = options;
  }

  /** Serializes reconfiguration: policy updates can arrive faster than a shipper stops. */
  update(log: AuditLog | undefined, state: PolicyState): Promise<void> {
    this.#queue = this.#queue.then(() => this.#apply(log, state)).catch((err: unknown) => {
      this.#o.logger.error('cannot configure audit shipping', { error: err });
    });
    return this.#queue;
  }

  async #apply(log: AuditLog | undefined, state: PolicyState): Promise<void> {
    if (log === undefined || !state.ok) return; // keep shipping what was configured: records still flow
    this.#log = log;
    let file: string | undefined;
    try {
      file = connectionStringFile(state.runtime.policy, this.#o.secretsDir);
      this.#problem = undefined;
    } catch (err) {
      this.#problem = (err as Error).message;
      file = undefined;
    }
    log.holdUnshipped(file !== undefined);
    const authentication = state.runtime.policy.audit.azureMonitor?.authentication;
    if (file === this.#file && authentication === this.#authentication) return;
    await this.#shipper?.stop();
    this.#shipper = undefined;
    this.#file = file;
    this.#authentication = authentication;
    if (file === undefined) return;
    let credential: TokenCredential | undefined;
    if (authentication === 'workloadIdentity') {
      try {
        // Loaded only for a policy that asks for it: @azure/identity and MSAL stay out of other sidecars.
        const { workloadIdentityCredential } = await import('../identity/workload.ts');
        credential = await workloadIdentityCredential();
      } catch (err) {
        // Records wait on disk (retention holds them) until the pod gets its identity.
        this.#problem = (err as Error).message;
        this.#file = undefined;
        return;
      }
    }
    // The Azure exporter stack costs a sidecar tens of MB: it loads only for a policy that ships.
    const { startShipper } = await import('./shipper.ts');
    this.#shipper = startShipper({
      log,
      connectionStringFile: file,
      metrics: this.#o.metrics,
      logger: this.#o.logger.child({ component: 'shipper' }),
      ...(this.#o.exporterOptions || credential ? { exporterOptions: { ...this.#o.exporterOptions, ...(credential ? { credential } : {}) } } : {}),
      ...this.#o.tuning,
    });
    this.#o.logger.info('shipping audit records to Azure Monitor', { connectionStringFile: file, authentication });
  }

  health(): HealthState {
    if (this.#problem) return { ok: true, warning: `audit records are not shipped: ${this.#problem}` };
    if (this.#shipper === undefined) return { ok: true, reason: this.#log ? 'no Azure Monitor configured' : 'waiting for the audit log' };
    const h = this.#shipper.health();
    return h.reason ? { ok: true, warning: h.reason } : { ok: true, reason: `shipping, ${this.#shipper.backlog()} records waiting` };
  }

  async stop(): Promise<void> {
    await this.#queue;
    await this.#shipper?.stop();
    this.#shipper = undefined;
  }

  /**
   * Shutdown: ships what waits for up to `budgetMs`, then stops. Undefined when nothing ships
   * (no Azure Monitor configured): the records then only ever live in the local log.
   */
  async drain(budgetMs: number): Promise<Unshipped | undefined> {
    await this.#queue;
    const shipper = this.#shipper;
    this.#shipper = undefined;
    return shipper?.drain(budgetMs);
  }
}

/** Where the Azure Monitor connection string of a policy lives, or undefined when the policy ships nowhere. */
function connectionStringFile(policy: ResolvedPolicy, secretsDir: string | undefined): string | undefined {
  const ref = policy.audit.azureMonitor?.connectionStringSecret;
  if (ref === undefined) return undefined;
  if (secretsDir === undefined) throw new Error(`audit.azureMonitor needs secret ${ref.name}/${ref.key}, but no --secrets-dir was given`);
  return secretPath(secretsDir, ref.name, ref.key);
}
