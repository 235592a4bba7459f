// The injected container and its volumes, built from the operator's settings and the policy.
// Pure: the same inputs give byte-identical output, which the golden files and idempotency rely on.
import { heapOptions } from './heap.ts';
import { createHash } from 'node:crypto';
import type { Container, EnvVar, Volume, VolumeMount } from '../../kube/core.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import {
  AUDIT_DIR,
  AUDIT_VOLUME,
  PORT_ADMIN,
  PORT_EGRESS,
  PORT_MCP,
  PORT_TRANSPARENT,
  SECRET_VOLUME_PREFIX,
  SECRETS_DIR,
  SERVICE_ACCOUNT_DIR,
  SIDECAR_CONTAINER,
  SIDECAR_UID,
  TOKEN_VOLUME,
} from './constants.ts';
import type { SidecarSettings } from './settings.ts';

/** Every Secret the policy names, sorted: each becomes one read-only volume in the sidecar. */
export function policySecrets(policy: ResolvedPolicy): string[] {
  const names = new Set<string>();
  if (policy.masking.keySecret) names.add(policy.masking.keySecret.name);
  for (const u of policy.egress.upstreams) {
    if (u.credential?.kind === 'secret') names.add(u.credential.secretName);
    if (u.caSecret) names.add(u.caSecret.name);
  }
  if (policy.audit.azureMonitor) names.add(policy.audit.azureMonitor.connectionStringSecret.name);
  return [...names].sort();
}

/**
 * A volume name (a DNS label, at most 63 characters) for a Secret name (a DNS subdomain, up to
 * 253): readable when it fits, shortened with a hash of the full name when it does not.
 */
export function secretVolumeName(secretName: string): string {
  const plain = `${SECRET_VOLUME_PREFIX}${secretName}`;
  if (plain.length <= 63 && !secretName.includes('.')) return plain;
  const hash = createHash('sha256').update(secretName).digest('hex').slice(0, 8);
  const stem = secretName.replace(/\./gu, '-').slice(0, 63 - SECRET_VOLUME_PREFIX.length - 9).replace(/-+$/u, '');
  return `${SECRET_VOLUME_PREFIX}${stem}-${hash}`;
}

export interface SidecarInput {
  readonly settings: SidecarSettings;
  readonly namespace: string;
  readonly policy: ResolvedPolicy;
  /** the MCP server's port inside the pod */
  readonly upstreamPort: number;
  /**
   * the pod's service-account token volume when the app has one mounted; undefined: the sidecar
   * gets its own projected token (the pod does not automount one)
   */
  readonly tokenVolume: string | undefined;
  /** the pod's traffic is captured: the sidecar's /readyz then proves it (--capture) */
  readonly capture?: boolean;
  /** more environment for the sidecar (the app probes it serves) */
  readonly extraEnv?: readonly EnvVar[];
}

export interface SidecarParts {
  readonly container: Container;
  /** volumes the pod must gain, in order */
  readonly volumes: Volume[];
}

export function buildSidecar(input: SidecarInput): SidecarParts {
  const { settings, policy } = input;
  const secrets = policySecrets(policy);
  const volumes: Volume[] = [{ name: AUDIT_VOLUME, emptyDir: { sizeLimit: settings.auditSizeLimit } }];
  const mounts: VolumeMount[] = [{ name: AUDIT_VOLUME, mountPath: AUDIT_DIR }];
  for (const secret of secrets) {
    const name = secretVolumeName(secret);
    // optional: the pod starts even if the Secret comes later (GitOps applies in any order); the
    // sidecar reports the missing key on /readyz and refuses what needs it, and the kubelet
    // fills the volume in when the Secret appears.
    volumes.push({ name, secret: { secretName: secret, optional: true } });
    mounts.push({ name, mountPath: `${SECRETS_DIR}/${secret}`, readOnly: true });
  }
  let tokenVolume = input.tokenVolume;
  if (tokenVolume === undefined) {
    tokenVolume = TOKEN_VOLUME;
    // The layout of the kube-api-access volume the ServiceAccount admission plugin adds, so the
    // sidecar's in-cluster config works unchanged; only the sidecar mounts it.
    volumes.push({
      name: TOKEN_VOLUME,
      projected: {
        defaultMode: 0o444,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
  }
  mounts.push({ name: tokenVolume, mountPath: SERVICE_ACCOUNT_DIR, readOnly: true });

  const container: Container = {
    name: SIDECAR_CONTAINER,
    image: settings.image,
    imagePullPolicy: settings.imagePullPolicy,
    args: [
      'sidecar',
      '--policy-ref',
      `${input.namespace}/${policy.name}`,
      '--upstream',
      `http://127.0.0.1:${input.upstreamPort}`,
      '--audit-dir',
      AUDIT_DIR,
      '--secrets-dir',
      SECRETS_DIR,
      '--log-level',
      settings.logLevel,
      // All addresses, both families (as the transparent listener's default): captured inbound
      // IPv6 connections and IPv6 kubelet probes arrive on the pod's IPv6 address.
      '--listen',
      `[::]:${PORT_MCP}`,
      '--admin-listen',
      `[::]:${PORT_ADMIN}`,
      ...(input.capture ? ['--capture'] : []),
    ],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
      ...heapEnv(settings.resources.limits?.memory),
      ...(input.extraEnv ?? []),
    ],
    ports: [
      { name: 'mcp', containerPort: PORT_MCP, protocol: 'TCP' },
      { name: 'egress', containerPort: PORT_EGRESS, protocol: 'TCP' },
      { name: 'admin', containerPort: PORT_ADMIN, protocol: 'TCP' },
      { name: 'capture', containerPort: PORT_TRANSPARENT, protocol: 'TCP' },
    ],
    resources: structuredClone(settings.resources),
    // A native sidecar: started before the app containers, kept running beside them, and not
    // holding a Job open when the app exits.
    restartPolicy: 'Always',
    // The kubelet starts the next container only once this passes: the app never runs unproxied.
    startupProbe: { httpGet: { path: '/healthz', port: PORT_ADMIN }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 120 },
    readinessProbe: { httpGet: { path: '/readyz', port: PORT_ADMIN }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: SIDECAR_UID,
      runAsGroup: SIDECAR_UID,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: mounts,
  };
  return { container, volumes };
}

function heapEnv(limit: string | number | undefined): EnvVar[] {
  const options = heapOptions(limit);
  return options === undefined ? [] : [{ name: 'NODE_OPTIONS', value: options }];
}
