// One policy check for the validating webhook, the pod webhook and the policy status, so a
// policy is refused, reported and blamed in the same words `mcp-residency policy validate` uses.
import { formatPath, type Problem } from '../../policy/problems.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import { validatePolicy } from '../../policy/validate.ts';

export type PolicyCheck =
  | { readonly ok: true; readonly policy: ResolvedPolicy; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly message: string; readonly problems: readonly string[] };

export function problemLine(p: Problem): string {
  return `${formatPath(p.segments)}: ${p.message}`;
}

/** Checks a policy object as the API server stores it (status and server-set metadata are ignored). */
export function checkPolicy(obj: unknown): PolicyCheck {
  const { problems, policy } = validatePolicy(withoutServerFields(obj));
  const errors = problems.filter((p) => p.severity === 'error').map(problemLine);
  const warnings = problems.filter((p) => p.severity === 'warning').map(problemLine);
  if (!policy || errors.length > 0) return { ok: false, message: errors.join('; '), problems: errors };
  return { ok: true, policy, warnings };
}

/** The fields the author wrote: what `policy validate` sees in the YAML file. */
function withoutServerFields(obj: unknown): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return obj;
  const { apiVersion, kind, metadata, spec } = obj as Record<string, unknown>;
  const m = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<string, unknown>;
  return { apiVersion, kind, metadata: { name: m.name, ...(m.namespace === undefined ? {} : { namespace: m.namespace }) }, spec };
}
