// The sidecar's Prometheus metrics, defined once. Names and labels are part of the contract
// (CONTRACT.md, "Metrics"); dashboards and alerts depend on them.
import { Counter, Gauge, Histogram, Registry, collectProcessMetrics } from './prometheus.ts';

export interface SidecarMetrics {
  readonly registry: Registry;
  /** kind: mcp | egress | approval; decision: allow | deny | approved | rejected | error. */
  readonly requests: Counter<'kind' | 'decision'>;
  /** type: EMAIL, PHONE, ... and custom TYPE names. */
  readonly masked: Counter<'type'>;
  readonly requestDuration: Histogram<'kind'>;
  /** Audit records written locally but not yet acknowledged by Azure Monitor. */
  readonly auditBacklog: Gauge;
  readonly auditShipFailures: Counter<'reason'>;
  readonly auditWriteFailures: Counter<'reason'>;
  /** Server answers the gateway could not read and withheld, by reason (not-json, unmatched-id, ...). */
  readonly withheldReplies: Counter<'reason'>;
  /** 1 when the sidecar is enforcing a policy it could load, 0 while it refuses traffic. */
  readonly policyLoaded: Gauge;
  /** 1 while the sidecar runs on its last good policy because it lost its policy source. */
  readonly policyStale: Gauge;
  /** Approval notifications by target type (teams | webhook) and result (sent | retried | failed). */
  readonly approvalNotifications: Counter<'target' | 'result'>;
  /** Audit records a stopping sidecar could not ship before its grace period ended (they stay in the pod's emptyDir). */
  readonly auditUnshippedAtShutdown: Gauge;
  /** Connections the transparent egress listener took (issue 13): decision allow | deny | error; protocol tls | http | none. */
  readonly capturedConnections: Counter<'decision' | 'protocol'>;
  /** 1 when the capture probe proved this pod's traffic is redirected, 0 when it proved it is not. */
  readonly captureInPlace: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): SidecarMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectProcessMetrics(registry, 'mcp_residency_process_');
  return {
    registry,
    requests: new Counter({
      name: 'mcp_residency_requests_total',
      help: 'Requests decided by the sidecar, by kind and decision.',
      labelNames: ['kind', 'decision'] as const,
      registers: [registry],
    }),
    masked: new Counter({
      name: 'mcp_residency_masked_total',
      help: 'Values masked, by detected type.',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'mcp_residency_request_duration_seconds',
      help: 'Time from a request reaching the sidecar to its response leaving it.',
      labelNames: ['kind'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    auditBacklog: new Gauge({
      name: 'mcp_residency_audit_backlog_records',
      help: 'Audit records written locally and not yet acknowledged by Azure Monitor.',
      registers: [registry],
    }),
    auditShipFailures: new Counter({
      name: 'mcp_residency_audit_ship_failures_total',
      help: 'Failed attempts to ship audit records to Azure Monitor, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    auditWriteFailures: new Counter({
      name: 'mcp_residency_audit_write_failures_total',
      help: 'Failed writes to the local audit log, by reason (e.g. ENOSPC).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    withheldReplies: new Counter({
      name: 'mcp_residency_withheld_replies_total',
      help: 'Answers from the MCP server that the sidecar could not read or match to a request, and withheld, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    policyLoaded: new Gauge({
      name: 'mcp_residency_policy_loaded',
      help: '1 while a valid policy is enforced; 0 while every request is refused.',
      registers: [registry],
    }),
    policyStale: new Gauge({
      name: 'mcp_residency_policy_stale',
      help: '1 while the sidecar enforces its last good policy because the policy source is unreachable.',
      registers: [registry],
    }),
    approvalNotifications: new Counter({
      name: 'mcp_residency_approval_notifications_total',
      help: 'Approval notifications (held calls and their decisions) by target type and result: sent, retried, failed. A failure never decides a call.',
      labelNames: ['target', 'result'] as const,
      registers: [registry],
    }),
    auditUnshippedAtShutdown: new Gauge({
      name: 'mcp_residency_audit_unshipped_at_shutdown_records',
      help: 'Audit records not acknowledged by Azure Monitor when the sidecar stopped shipping at shutdown; also reported as a Kubernetes Event on the pod.',
      registers: [registry],
    }),
    capturedConnections: new Counter({
      name: 'mcp_residency_captured_connections_total',
      help: 'Connections redirected to the transparent egress listener, by decision and protocol (tls, http, none).',
      labelNames: ['decision', 'protocol'] as const,
      registers: [registry],
    }),
    captureInPlace: new Gauge({
      name: 'mcp_residency_capture_in_place',
      help: '1 when the capture probe last proved the pod traffic is redirected to the sidecar, 0 when it proved it is not.',
      registers: [registry],
    }),
  };
}

/** Counts masked values by TYPE. */
export function countMasked(metrics: SidecarMetrics, counts: ReadonlyMap<string, number>): void {
  for (const [type, n] of counts) metrics.masked.inc({ type }, n);
}
