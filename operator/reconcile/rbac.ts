// The Role and RoleBinding that let sidecars read their policy with their pod's service
// account (issue 8: the sidecar watches its own MCPResidencyPolicy; issue 9: approvals). One
// pair per namespace that has opted-in pods, bound to exactly the service accounts of those
// pods. Pure: the controller applies what this returns.
import type { Role, RoleBinding, Subject } from '../../kube/core.ts';
import { API_GROUP } from '../../policy/names.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'mcp-residency-operator';

export function managedLabels(): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, 'app.kubernetes.io/part-of': 'mcp-residency', 'app.kubernetes.io/component': 'sidecar-rbac' };
}

/** What a sidecar may do; the operator must hold these permissions itself to grant them. */
export const SIDECAR_RULES: Role['rules'] = [
  { apiGroups: [API_GROUP], resources: ['mcpresidencypolicies'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [API_GROUP], resources: ['mcpapprovals'], verbs: ['create', 'get', 'list', 'watch'] },
  { apiGroups: [API_GROUP], resources: ['mcpapprovals/status'], verbs: ['get', 'patch', 'update'] },
  // A stopping sidecar reports audit records it could not ship as an Event on its pod.
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

export function desiredRole(namespace: string, name: string): Role {
  return { metadata: { name, namespace, labels: managedLabels() }, rules: SIDECAR_RULES };
}

export function desiredBinding(namespace: string, name: string, serviceAccounts: Iterable<string>): RoleBinding {
  const subjects: Subject[] = [...new Set(serviceAccounts)].sort().map((sa) => ({ kind: 'ServiceAccount', name: sa, namespace }));
  return {
    metadata: { name, namespace, labels: managedLabels() },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects,
  };
}

/** Whether the stored object already grants what is wanted (labels and rules/subjects). */
export function roleUpToDate(actual: Role | undefined, want: Role): boolean {
  const norm = (rules: Role['rules'] | undefined): string =>
    JSON.stringify((rules ?? []).map((r) => [r.apiGroups, r.resources, r.verbs, r.resourceNames ?? []].map((l) => [...l].sort())));
  return actual !== undefined && norm(actual.rules) === norm(want.rules) && labelsInclude(actual, want);
}

export function bindingUpToDate(actual: RoleBinding | undefined, want: RoleBinding): boolean {
  if (!actual || !labelsInclude(actual, want)) return false;
  const norm = (s: Subject[] | undefined): string => JSON.stringify((s ?? []).map((x) => `${x.kind}/${x.namespace ?? ''}/${x.name}`).sort());
  return norm(actual.subjects) === norm(want.subjects) && actual.roleRef.kind === want.roleRef.kind && actual.roleRef.name === want.roleRef.name;
}

function labelsInclude(actual: { metadata: { labels?: Record<string, string> } }, want: { metadata: { labels?: Record<string, string> } }): boolean {
  return Object.entries(want.metadata.labels ?? {}).every(([k, v]) => actual.metadata.labels?.[k] === v);
}
