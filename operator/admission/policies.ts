// POST /validate/mcpresidencypolicies: refuses at `kubectl apply` what `policy validate`
// refuses, in its words; warnings travel back as admission warnings (kubectl prints them).
import { isDeepStrictEqual } from 'node:util';
import { checkPolicy } from '../policies/check.ts';
import { allow, deny, type AdmissionRequest, type AdmissionResponse } from './review.ts';

export type PolicyOutcome = 'allowed' | 'denied';

export function admitPolicy(req: AdmissionRequest): { response: AdmissionResponse; outcome: PolicyOutcome } {
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return { response: allow(req.uid), outcome: 'allowed' };
  const obj = req.object as { metadata?: { name?: string; deletionTimestamp?: string }; spec?: unknown } | undefined;
  const name = obj?.metadata?.name ?? req.name ?? '';
  if (req.operation === 'UPDATE') {
    const old = req.oldObject as { spec?: unknown } | undefined;
    // A policy stored before this webhook existed may be invalid; it must still be deletable
    // (finalizers) and labelable. Only a changed spec is judged.
    if (obj?.metadata?.deletionTimestamp || isDeepStrictEqual(old?.spec, obj?.spec)) return { response: allow(req.uid), outcome: 'allowed' };
  }
  const check = checkPolicy(req.object);
  if (!check.ok) return { response: deny(req.uid, `MCPResidencyPolicy "${name}" is invalid: ${check.message}`, 422, 'Invalid'), outcome: 'denied' };
  return { response: allow(req.uid, check.warnings), outcome: 'allowed' };
}
