// POST /mutate/pods: decide, look the policy up, inject, answer with the patch. A pod that asks
// for a policy is either injected or refused with a reason; a pod that does not ask is let
// through untouched.
import type { Pod } from '../../kube/core.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import { podSecurityProblem } from '../inject/capture.ts';
import { describePod, injectPod, invalidPolicyMessage, missingPolicyMessage, podHasCapture, preflight } from '../inject/inject.ts';
import { diff } from '../inject/patch.ts';
import type { InjectionSettings } from '../inject/settings.ts';
import { allow, deny, patched, type AdmissionRequest, type AdmissionResponse } from './review.ts';

export type PolicyLookup =
  | { readonly state: 'valid'; readonly policy: ResolvedPolicy }
  | { readonly state: 'invalid'; readonly message: string }
  | { readonly state: 'missing' };

export interface PolicySource {
  lookup(namespace: string, name: string): Promise<PolicyLookup>;
}

/** A namespace's labels (for its PodSecurity level); undefined when unknown. */
export interface NamespaceSource {
  labels(namespace: string): Promise<Readonly<Record<string, string>> | undefined>;
}

/** injected: a patch; unchanged: asked and already right; ignored: did not ask (or excluded). */
export type PodOutcome = 'injected' | 'unchanged' | 'ignored' | 'refused' | 'error';

export interface PodAdmission {
  readonly response: AdmissionResponse;
  readonly outcome: PodOutcome;
  readonly policy?: string;
}

export async function admitPod(req: AdmissionRequest, settings: InjectionSettings, policies: PolicySource, namespaces?: NamespaceSource): Promise<PodAdmission> {
  if (req.operation !== 'CREATE' || req.subResource) return { response: allow(req.uid), outcome: 'ignored' };
  const pod = req.object as Pod | undefined;
  if (!pod || typeof pod !== 'object' || !pod.metadata || !pod.spec || !Array.isArray(pod.spec.containers)) {
    return { response: deny(req.uid, 'the admission request carries no pod', 400, 'BadRequest'), outcome: 'error' };
  }
  const namespace = req.namespace ?? pod.metadata.namespace ?? 'default';
  const plan = preflight(pod, namespace, settings);
  if (plan.action === 'ignore') return { response: allow(req.uid, plan.warning ? [plan.warning] : undefined), outcome: 'ignored' };
  if (plan.action === 'refuse') return { response: deny(req.uid, plan.message), outcome: 'refused' };

  let found: PolicyLookup;
  try {
    found = await policies.lookup(namespace, plan.policyName);
  } catch (err) {
    // Fail closed: a pod that asked for protection does not start without it.
    const why = err instanceof Error ? err.message : String(err);
    return {
      response: deny(req.uid, `cannot read MCPResidencyPolicy "${plan.policyName}" in namespace ${namespace} to inject the sidecar (${why}); try again`, 503, 'ServiceUnavailable'),
      outcome: 'error',
      policy: plan.policyName,
    };
  }
  if (found.state === 'missing') return { response: deny(req.uid, missingPolicyMessage(pod, namespace, plan.policyName)), outcome: 'refused', policy: plan.policyName };
  if (found.state === 'invalid') {
    return { response: deny(req.uid, invalidPolicyMessage(pod, namespace, plan.policyName, found.message)), outcome: 'refused', policy: plan.policyName };
  }
  const result = injectPod(pod, namespace, found.policy, settings);
  if (!result.ok) return { response: deny(req.uid, result.message), outcome: 'refused', policy: plan.policyName };
  const warnings: string[] = [];
  if (podHasCapture(result.pod) && namespaces) {
    // The API server's PodSecurity admission would refuse the injected pod anyway, after us, with
    // a message that does not say what to do; this one does.
    const psa = podSecurityProblem(namespace, await namespaces.labels(namespace), describePod(pod, namespace));
    if (psa.refuse !== undefined) return { response: deny(req.uid, psa.refuse), outcome: 'refused', policy: plan.policyName };
    if (psa.warn !== undefined) warnings.push(psa.warn);
  }
  const ops = diff(pod, result.pod);
  return { response: patched(req.uid, ops, warnings), outcome: ops.length === 0 ? 'unchanged' : 'injected', policy: plan.policyName };
}
