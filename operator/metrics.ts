// The operator's Prometheus metrics, in its own registry (the sidecar has its own). Names are
// documented in the README; dashboards and alerts will depend on them.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface OperatorMetrics {
  readonly registry: Registry;
  /** webhook: pods | policies; outcome: injected | unchanged | ignored | refused | allowed | denied | error */
  readonly admissions: Counter<'webhook' | 'outcome'>;
  readonly admissionDuration: Histogram<'webhook'>;
  /** pods that name a policy but run without the sidecar (leader only; 0 elsewhere) */
  readonly unprotectedPods: Gauge<'namespace' | 'policy'>;
  readonly enforcingPods: Gauge<'namespace' | 'policy'>;
  /** 1 when the policy is valid (Ready), 0 when invalid */
  readonly policyReady: Gauge<'namespace' | 'policy'>;
  readonly watchRestarts: Counter<'resource' | 'reason'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly caBundlePatches: Counter<'configuration'>;
  readonly certificateExpiry: Gauge<'certificate'>;
  readonly leader: Gauge;
}

export function createOperatorMetrics(options: { defaultMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'mcp_residency_operator_process_' });
  const registers = [registry];
  return {
    registry,
    admissions: new Counter({
      name: 'mcp_residency_operator_admission_requests_total',
      help: 'Admission requests answered, by webhook (pods, policies) and outcome.',
      labelNames: ['webhook', 'outcome'] as const,
      registers,
    }),
    admissionDuration: new Histogram({
      name: 'mcp_residency_operator_admission_duration_seconds',
      help: 'Time to answer an admission request, from its last byte to the answer.',
      labelNames: ['webhook'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    unprotectedPods: new Gauge({
      name: 'mcp_residency_operator_unprotected_pods',
      help: 'Pods that name an MCPResidencyPolicy but run without the mcp-residency-proxy sidecar (exported by the leader).',
      labelNames: ['namespace', 'policy'] as const,
      registers,
    }),
    enforcingPods: new Gauge({
      name: 'mcp_residency_operator_enforcing_pods',
      help: 'Pods whose sidecar enforces the policy and that have not terminated (exported by the leader).',
      labelNames: ['namespace', 'policy'] as const,
      registers,
    }),
    policyReady: new Gauge({
      name: 'mcp_residency_operator_policy_ready',
      help: '1 when the MCPResidencyPolicy is valid, 0 when it is not (exported by the leader).',
      labelNames: ['namespace', 'policy'] as const,
      registers,
    }),
    watchRestarts: new Counter({
      name: 'mcp_residency_operator_watch_restarts_total',
      help: 'Watches restarted, by resource and reason (closed, expired, idle, error, relist).',
      labelNames: ['resource', 'reason'] as const,
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'mcp_residency_operator_reconcile_errors_total',
      help: 'Reconciles that failed and were retried, by controller.',
      labelNames: ['controller'] as const,
      registers,
    }),
    caBundlePatches: new Counter({
      name: 'mcp_residency_operator_cabundle_patches_total',
      help: 'caBundle patches written to a webhook configuration (first install, CA rotation, or repair of a reverted bundle).',
      labelNames: ['configuration'] as const,
      registers,
    }),
    certificateExpiry: new Gauge({
      name: 'mcp_residency_operator_certificate_expiry_timestamp_seconds',
      help: 'When the webhook certificates expire (certificate: ca, serving), as a Unix time.',
      labelNames: ['certificate'] as const,
      registers,
    }),
    leader: new Gauge({ name: 'mcp_residency_operator_leader', help: '1 while this replica is the leader.', registers }),
  };
}
