// The status the operator writes on an MCPResidencyPolicy, as a pure function of the policy, its
// check and the pods naming it. Conditions follow the Kubernetes conventions: lastTransitionTime
// moves only when the condition's status does, and observedGeneration says which spec was judged.
import type { Condition, PolicyStatus } from '../../policy/types.ts';
import { canonicalJson } from '../../sidecar/audit/canonical.ts';
import type { PolicyCheck } from '../policies/check.ts';
import type { PodCounts } from './pods.ts';

export const READY = 'Ready';

/** `toolsPending`: changed or new tool definitions waiting for review (tool pinning). */
export function desiredStatus(generation: number | undefined, check: PolicyCheck, counts: PodCounts & { toolsPending?: number }, previous: PolicyStatus | undefined, now: Date): PolicyStatus {
  const ready: Condition = check.ok
    ? {
        type: READY,
        status: 'True',
        reason: 'Valid',
        message: check.warnings.length > 0 ? `valid, with warnings: ${check.warnings.join('; ')}` : 'the policy is valid; pods naming it get the sidecar',
      }
    : { type: READY, status: 'False', reason: 'Invalid', message: check.message };
  const prev = previous?.conditions?.find((c) => c.type === READY);
  const transitioned = prev?.status !== ready.status || prev.lastTransitionTime === undefined;
  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: [
      {
        ...ready,
        lastTransitionTime: transitioned ? now.toISOString().replace(/\.\d{3}Z$/u, 'Z') : prev.lastTransitionTime,
        ...(generation === undefined ? {} : { observedGeneration: generation }),
      },
    ],
    enforcingPods: counts.enforcing,
    unprotectedPods: counts.unprotected,
    ...(counts.toolsPending === undefined ? {} : { toolsPendingReview: counts.toolsPending }),
  };
}

/** Equal for the purpose of writing: key order and absent-vs-undefined do not count. */
export function sameStatus(a: PolicyStatus | undefined, b: PolicyStatus): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b);
}
