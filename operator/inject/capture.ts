// Traffic capture in the injected pod: the init container that installs the rules, the app
// probes that must keep working once the MCP port belongs to the gateway, and the PodSecurity
// levels that forbid the init container's capabilities. Pure, like the rest of the injector.
import type { Container, Pod, Probe } from '../../kube/core.ts';
import { APP_PROBES_ENV, appHealthPath, parseAppProbes, type AppProbe, type AppProbes } from '../../sidecar/admin/app-probes.ts';
import { ANNOTATION_CAPTURE, CAPTURE_INIT_CONTAINER, PORT_ADMIN, PORT_MCP, PORT_TRANSPARENT, SIDECAR_CONTAINER, SIDECAR_UID } from './constants.ts';
import type { CaptureSettings, SidecarSettings } from './settings.ts';

export type CaptureChoice = { readonly capture: boolean } | { readonly error: string };

/** On unless the operator turned it off or the pod says "false"; "true" turns it on either way. */
export function captureChoice(pod: Pod, settings: CaptureSettings): CaptureChoice {
  const raw = pod.metadata.annotations?.[ANNOTATION_CAPTURE];
  if (raw === undefined) return { capture: settings.enabled };
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === 'false') return { capture: v === 'true' };
  return { error: `${ANNOTATION_CAPTURE} is ${JSON.stringify(raw)}; use "false" to opt the pod out of traffic capture (it is then reported as unprotected), or remove it` };
}

/** The init container's arguments: exactly `mcp-residency capture apply ...`. */
export function captureArgs(mcpPort: number, settings: CaptureSettings): string[] {
  return [
    'capture',
    'apply',
    '--mcp-port',
    String(mcpPort),
    '--sidecar-uid',
    String(SIDECAR_UID),
    '--inbound-port',
    String(PORT_MCP),
    '--egress-port',
    String(PORT_TRANSPARENT),
    ...settings.insideRanges.flatMap((r) => ['--inside', r]),
  ];
}

export function buildCaptureInit(sidecar: SidecarSettings, capture: CaptureSettings, mcpPort: number): Container {
  return {
    name: CAPTURE_INIT_CONTAINER,
    image: sidecar.image,
    imagePullPolicy: sidecar.imagePullPolicy,
    args: captureArgs(mcpPort, capture),
    // Init containers count towards the pod's resources as the largest of them, not the sum:
    // the sidecar's figures add nothing.
    resources: structuredClone(sidecar.resources),
    securityContext: {
      // Root only for the capabilities: Kubernetes grants added capabilities to UID 0 alone
      // (no ambient capabilities for other users). Nothing else of root's is kept.
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 0,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

const PROBE_KINDS = [
  ['livenessProbe', 'livez'],
  ['readinessProbe', 'readyz'],
  ['startupProbe', 'startupz'],
] as const;

function portNumber(c: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/u.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * Points every app httpGet probe on the MCP port at the admin port, and returns what the sidecar
 * must forward (admin path -> the original probe). Other probes are untouched: they do not meet
 * the inbound redirect.
 */
export function rewriteProbes(pod: Pod, mcpPort: number): AppProbes {
  const out: Record<string, AppProbe> = {};
  for (const c of pod.spec.containers) {
    for (const [field, kind] of PROBE_KINDS) {
      const probe: Probe | undefined = c[field];
      const get = probe?.httpGet;
      if (!probe || !get || portNumber(c, get.port) !== mcpPort) continue;
      const path = appHealthPath(c.name, kind);
      out[path] = { port: mcpPort, path: get.path || '/', ...(get.scheme ? { scheme: get.scheme } : {}), ...(get.httpHeaders ? { httpHeaders: get.httpHeaders } : {}) };
      c[field] = { ...probe, httpGet: { path, port: PORT_ADMIN, scheme: 'HTTP' } };
    }
  }
  return out;
}

/** The sidecar env var with the rewritten probes, or none. */
export function appProbesEnv(probes: AppProbes): { name: string; value: string }[] {
  return Object.keys(probes).length === 0 ? [] : [{ name: APP_PROBES_ENV, value: JSON.stringify(probes) }];
}

/**
 * Undoes rewriteProbes of an earlier pass, from what the earlier sidecar carried, so the next
 * pass starts from the user's probes (idempotent re-injection).
 */
export function restoreProbes(pod: Pod): void {
  const sidecar = pod.spec.initContainers?.find((c) => c.name === SIDECAR_CONTAINER);
  const raw = sidecar?.env?.find((e) => e.name === APP_PROBES_ENV)?.value;
  if (raw === undefined) return;
  let probes: AppProbes;
  try {
    probes = parseAppProbes(raw);
  } catch {
    return;
  }
  for (const c of pod.spec.containers) {
    for (const [field, kind] of PROBE_KINDS) {
      const probe = c[field];
      const saved = probes[appHealthPath(c.name, kind)];
      if (!probe?.httpGet || !saved || probe.httpGet.port !== PORT_ADMIN) continue;
      c[field] = {
        ...probe,
        httpGet: { path: saved.path, port: saved.port, ...(saved.scheme ? { scheme: saved.scheme } : {}), ...(saved.httpHeaders ? { httpHeaders: [...saved.httpHeaders] } : {}) },
      };
    }
  }
}

/**
 * An app container that runs as the sidecar's UID would be exempt from capture like the sidecar
 * (Istio's UID 1337 pitfall, istio#11130); 65532 is also distroless's "nonroot" user, so this
 * is not far-fetched. Only what the spec says can be seen: an image's own USER cannot.
 */
export function sidecarUidClash(pod: Pod): string | undefined {
  const podUid = (pod.spec as { securityContext?: { runAsUser?: number } }).securityContext?.runAsUser;
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    if (c.name === SIDECAR_CONTAINER || c.name === CAPTURE_INIT_CONTAINER) continue;
    if ((c.securityContext?.runAsUser ?? podUid) === SIDECAR_UID) {
      return `container "${c.name}" runs as UID ${SIDECAR_UID}, the ${SIDECAR_CONTAINER} sidecar's UID, whose traffic is never captured: run it as another UID (securityContext.runAsUser), or opt the pod out with ${ANNOTATION_CAPTURE}: "false"`;
    }
  }
  return undefined;
}

/** The PodSecurity levels that forbid NET_ADMIN and NET_RAW (both are outside baseline). */
const FORBIDDING = new Set(['baseline', 'restricted']);
export const PSA_ENFORCE = 'pod-security.kubernetes.io/enforce';
export const PSA_WARN = 'pod-security.kubernetes.io/warn';

/** Why a namespace's PodSecurity level stops the capture init container, and what to do. */
export function podSecurityProblem(namespace: string, labels: Readonly<Record<string, string>> | undefined, pod: string): { refuse?: string; warn?: string } {
  const what = (label: string, level: string): string =>
    `namespace ${namespace} has ${label}=${level}, which forbids the capabilities NET_ADMIN and NET_RAW that the ${CAPTURE_INIT_CONTAINER} init container needs to capture ${pod}'s traffic. ` +
    `Either label the namespace ${PSA_ENFORCE}=privileged, or annotate the pod ${ANNOTATION_CAPTURE}: "false" (its traffic is then not captured and the operator reports it as unprotected), ` +
    'or install the capture rules with a CNI plugin instead of an init container (see the README, "Traffic capture")';
  const enforce = labels?.[PSA_ENFORCE];
  if (enforce !== undefined && FORBIDDING.has(enforce)) return { refuse: what(PSA_ENFORCE, enforce) };
  const warn = labels?.[PSA_WARN];
  if (warn !== undefined && FORBIDDING.has(warn)) return { warn: what(PSA_WARN, warn) };
  return {};
}
