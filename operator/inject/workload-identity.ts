// Entra workload identity belongs to the sidecar, not the app. AKS's workload-identity webhook
// gives every container of a pod labelled azure.workload.identity/use: "true" the AZURE_* env and
// the projected token volume; a policy that uses workload identity means the sidecar holds the
// Entra tokens, so the app containers must not be able to mint them too. Either webhook can run
// first, so both orders are handled:
// - ours first: the azure.workload.identity/skip-containers annotation (its documented opt-out,
//   containers separated by ';') names every app container, so Azure's webhook serves only the sidecar;
// - Azure's first: what it put on the app containers is moved to the sidecar.
// Pure: it edits the pod it is given.
import type { Container, EnvVar, Pod, VolumeMount } from '../../kube/core.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';

export const WI_USE_LABEL = 'azure.workload.identity/use';
export const WI_SKIP_ANNOTATION = 'azure.workload.identity/skip-containers';
export const WI_ENV = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_AUTHORITY_HOST'];
/** Where Azure's webhook mounts the token (its volume is azure-identity-token). */
export const WI_TOKEN_DIR = '/var/run/secrets/azure/tokens';

export function usesWorkloadIdentity(policy: ResolvedPolicy): boolean {
  return policy.audit.azureMonitor?.authentication === 'workloadIdentity' || policy.egress.upstreams.some((u) => u.credential?.kind === 'workloadIdentity');
}

const isWiEnv = (e: EnvVar): boolean => WI_ENV.includes(e.name);
const isWiMount = (m: VolumeMount): boolean => m.mountPath.replace(/\/+$/u, '') === WI_TOKEN_DIR;

/**
 * Keeps the workload identity on `sidecar` alone. A no-op for a policy that does not use it.
 * `previous` is the sidecar an earlier pass injected: what it was given is carried over.
 */
export function confineWorkloadIdentity(pod: Pod, sidecar: Container, policy: ResolvedPolicy, previous?: Container): void {
  if (!usesWorkloadIdentity(policy)) return;
  const apps = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].filter((c) => c !== sidecar);
  if (previous !== undefined) {
    sidecar.env = [...(sidecar.env ?? []), ...(previous.env?.filter(isWiEnv) ?? [])];
    const mount = previous.volumeMounts?.find(isWiMount);
    if (mount) sidecar.volumeMounts = [...(sidecar.volumeMounts ?? []), mount];
  }
  const skip = new Set((pod.metadata.annotations?.[WI_SKIP_ANNOTATION] ?? '').split(';').map((s) => s.trim()).filter(Boolean));
  skip.delete(sidecar.name);
  for (const c of apps) skip.add(c.name);
  pod.metadata.annotations = { ...pod.metadata.annotations, [WI_SKIP_ANNOTATION]: [...skip].sort().join(';') };
  for (const c of apps) {
    const env = c.env?.filter(isWiEnv) ?? [];
    const mounts = c.volumeMounts?.filter(isWiMount) ?? [];
    if (env.length === 0 && mounts.length === 0) continue;
    for (const e of env) if (!sidecar.env?.some((s) => s.name === e.name)) sidecar.env = [...(sidecar.env ?? []), e];
    for (const m of mounts) if (!sidecar.volumeMounts?.some(isWiMount)) sidecar.volumeMounts = [...(sidecar.volumeMounts ?? []), { ...m, readOnly: true }];
    c.env = c.env?.filter((e) => !isWiEnv(e));
    if (c.env?.length === 0) delete c.env;
    c.volumeMounts = c.volumeMounts?.filter((m) => !isWiMount(m));
    if (c.volumeMounts?.length === 0) delete c.volumeMounts;
  }
}
