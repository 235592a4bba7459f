// What the operator remembers about a pod: only pods that name a policy, and only the facts the
// status, the unprotected-pod report and the sidecar RBAC need. Watching every pod in the
// cluster is unavoidable (an annotation cannot be selected on server-side); keeping every pod
// in memory is not.
import type { Pod } from '../../kube/core.ts';
import type { KubeObject, ObjectMeta } from '../../kube/types.ts';
import { podHasCapture, podHasSidecar, requestedPolicy } from '../inject/inject.ts';
import { readStatus } from '../inject/status.ts';

export interface PodSummary {
  readonly metadata: Required<Pick<ObjectMeta, 'name' | 'namespace' | 'uid'>> & Pick<ObjectMeta, 'resourceVersion'>;
  /** the policy the pod asks for */
  readonly policy: string;
  /** carries the sidecar (injected for `policy`) and its traffic is captured */
  readonly protected: boolean;
  /** carries the sidecar but opted out of traffic capture (mcpresidency.io/capture: "false") */
  readonly captureOptOut: boolean;
  readonly serviceAccount: string;
  /** Succeeded or Failed: no longer enforcing anything, no longer at risk */
  readonly terminated: boolean;
}

export function summarizePod(obj: KubeObject): PodSummary | undefined {
  const pod = obj as Pod;
  const policy = requestedPolicy(pod);
  if (policy === undefined || !pod.spec) return undefined;
  const status = readStatus(pod);
  const phase = pod.status?.phase;
  const sidecar = podHasSidecar(pod) && (status === undefined || status.policy === policy);
  // Without capture, traffic can go around the sidecar: such a pod is not protected.
  const captured = podHasCapture(pod);
  return {
    metadata: { name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? '', uid: pod.metadata.uid ?? '', resourceVersion: pod.metadata.resourceVersion },
    policy,
    protected: sidecar && captured,
    captureOptOut: sidecar && !captured,
    serviceAccount: pod.spec.serviceAccountName || 'default',
    terminated: phase === 'Succeeded' || phase === 'Failed',
  };
}

export interface PodCounts {
  readonly enforcing: number;
  readonly unprotected: number;
}

export function countPods(pods: Iterable<PodSummary>): PodCounts {
  let enforcing = 0;
  let unprotected = 0;
  for (const p of pods) {
    if (p.terminated) continue;
    if (p.protected) enforcing++;
    else unprotected++;
  }
  return { enforcing, unprotected };
}
