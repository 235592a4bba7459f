// Where each kind lives in the REST API. A table instead of discovery: the operator talks to a
// fixed, small set of kinds, and a typo here fails in tests rather than at a customer's cluster.
import { API_GROUP, API_VERSION, APPROVAL_KIND, POLICY_KIND } from '../policy/names.ts';

export interface Resource {
  /** '' for the core group */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export const PODS: Resource = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
export const NAMESPACES: Resource = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false };
export const EVENTS: Resource = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
export const SECRETS: Resource = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
export const LEASES: Resource = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };
export const ROLES: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true };
export const ROLE_BINDINGS: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true };
export const MUTATING_WEBHOOKS: Resource = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'mutatingwebhookconfigurations',
  kind: 'MutatingWebhookConfiguration',
  namespaced: false,
};
export const VALIDATING_WEBHOOKS: Resource = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'validatingwebhookconfigurations',
  kind: 'ValidatingWebhookConfiguration',
  namespaced: false,
};
export const POLICIES: Resource = { group: API_GROUP, version: API_VERSION, plural: 'mcpresidencypolicies', kind: POLICY_KIND, namespaced: true };
export const APPROVALS: Resource = { group: API_GROUP, version: API_VERSION, plural: 'mcpapprovals', kind: APPROVAL_KIND, namespaced: true };

export function apiVersionOf(r: Resource): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

export interface PathOptions {
  /** omit (or undefined) to address every namespace of a namespaced resource */
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly subresource?: string | undefined;
}

/** `/api/v1/namespaces/ns/pods/name/status` and friends; every segment is URL-escaped. */
export function resourcePath(r: Resource, opts: PathOptions = {}): string {
  const e = encodeURIComponent;
  let path = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  if (r.namespaced && opts.namespace !== undefined) path += `/namespaces/${e(opts.namespace)}`;
  path += `/${r.plural}`;
  if (opts.name !== undefined) path += `/${e(opts.name)}`;
  if (opts.subresource !== undefined) {
    if (opts.name === undefined) throw new Error(`a subresource (${opts.subresource}) needs a name`);
    path += `/${opts.subresource}`;
  }
  return path;
}
