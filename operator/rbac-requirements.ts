// The permissions the operator needs, as data: the chart renders them (issue 8) and a test runs
// the operator with exactly these and nothing else. Least privilege where RBAC allows it:
// resourceNames for the objects it owns by name (list/watch of a named object works with a
// metadata.name field selector, which is how the operator watches them); `create` cannot be
// limited by name.
import type { PolicyRule } from '../kube/core.ts';
import { API_GROUP } from '../policy/names.ts';
import { SIDECAR_RULES } from './reconcile/rbac.ts';

export interface RbacNames {
  readonly mutatingWebhookConfigs: readonly string[];
  readonly validatingWebhookConfigs: readonly string[];
  readonly tlsSecret: string;
  readonly leaseName: string;
}

/** Cluster-wide (a ClusterRole bound with a ClusterRoleBinding). */
export function operatorClusterRules(n: RbacNames): PolicyRule[] {
  return [
    { apiGroups: [API_GROUP], resources: ['mcpresidencypolicies'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [API_GROUP], resources: ['mcpresidencypolicies/status'], verbs: ['get', 'patch', 'update'] },
    // Sidecars get these through the Roles the operator keeps; Kubernetes lets a Role grant only
    // what its creator holds (RBAC escalation prevention), so the operator holds them too rather
    // than the far broader `escalate` and `bind` verbs.
    // (events: the operator's own rule below covers what sidecars get.)
    ...SIDECAR_RULES.filter((r) => !r.resources.includes('mcpresidencypolicies') && !r.resources.includes('events')),
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    // A namespace's PodSecurity labels, to refuse a pod whose capture init container it forbids with a useful message.
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['mutatingwebhookconfigurations'],
      verbs: ['get', 'list', 'watch', 'patch'],
      resourceNames: [...n.mutatingWebhookConfigs],
    },
    {
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['validatingwebhookconfigurations'],
      verbs: ['get', 'list', 'watch', 'patch'],
      resourceNames: [...n.validatingWebhookConfigs],
    },
  ];
}

/** In the operator's own namespace (a Role and RoleBinding there). */
export function operatorNamespaceRules(n: RbacNames): PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'update'], resourceNames: [n.tlsSecret] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [n.leaseName] },
  ];
}
