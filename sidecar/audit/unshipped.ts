// Audit records a stopping sidecar could not ship would vanish with the pod's emptyDir. They are
// never lost silently: the count and seq range go into a metric, the log, and a Kubernetes Event
// on the pod (in a cluster), which outlives the pod for the API server's event TTL (1 h by
// default) and is what `kubectl get events` and most cluster log pipelines pick up.
import type { Logger } from '../../lib/log.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import type { Unshipped } from './shipper.ts';

export const UNSHIPPED_REASON = 'AuditRecordsUnshipped';

export function unshippedMessage(u: Unshipped, auditDir: string): string {
  return (
    `${u.records} audit record${u.records === 1 ? '' : 's'} (seq ${u.fromSeq}..${u.toSeq}) were not acknowledged by Azure Monitor when the sidecar stopped; ` +
    `they were only in ${auditDir} in the pod's emptyDir and are lost with the pod. Raise terminationGracePeriodSeconds or fix the ingestion endpoint.`
  );
}

export async function reportUnshipped(
  u: Unshipped,
  o: { auditDir: string; metrics: SidecarMetrics; logger: Logger; kube?: { client: KubeClient; namespace: string; pod: string } | undefined },
): Promise<void> {
  o.metrics.auditUnshippedAtShutdown.set(u.records);
  if (u.records === 0) return;
  const message = unshippedMessage(u, o.auditDir);
  o.logger.error('audit records not shipped at shutdown', { records: u.records, fromSeq: u.fromSeq, toSeq: u.toSeq });
  if (o.kube === undefined) return;
  const { client, namespace, pod } = o.kube;
  try {
    // Only a sidecar in a cluster records Events: a standalone one never loads the Kubernetes client.
    const { EventRecorder } = await import('../../operator/events.ts');
    await new EventRecorder(client, pod, o.logger, 'mcp-residency-proxy').emit({ apiVersion: 'v1', kind: 'Pod', name: pod, namespace }, 'Warning', UNSHIPPED_REASON, message);
  } catch (err) {
    o.logger.error('cannot report the unshipped audit records as an Event', { error: err });
  }
}
