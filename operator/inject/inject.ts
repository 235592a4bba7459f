// Sidecar injection as a pure function: pod in, pod out (or a refusal the user can act on).
//
// Injection is "ensure", not "add": whatever an earlier pass added (as the status annotation
// records it) is taken out first and the current injection put in. So a second pass gives the
// same pod (idempotent, istio#25931), a reinvoked webhook picks up containers another webhook
// added meanwhile, and a pod re-created from an injected pod's YAML with an older image or
// policy ends up with today's sidecar rather than two of them.
import type { Container, EnvVar, Pod } from '../../kube/core.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import {
  ANNOTATION_EGRESS_PROXY,
  ANNOTATION_POLICY,
  ANNOTATION_PORT,
  ANNOTATION_STATUS,
  CAPTURE_INIT_CONTAINER,
  EGRESS_PROXY_URL,
  NO_PROXY,
  PROXY_ENV_NAMES,
  SERVICE_ACCOUNT_DIR,
  SIDECAR_CONTAINER,
  SIDECAR_PORTS,
} from './constants.ts';
import { appProbesEnv, buildCaptureInit, captureChoice, restoreProbes, rewriteProbes, sidecarUidClash } from './capture.ts';
import { DEFAULT_CAPTURE, type InjectionSettings } from './settings.ts';
import { buildSidecar } from './sidecar.ts';
import { encodeStatus, readStatus, type InjectionStatus } from './status.ts';
import { confineWorkloadIdentity } from './workload-identity.ts';

/** What admission should do with a pod before any policy is looked up. */
export type Preflight =
  | { readonly action: 'ignore'; readonly warning?: string }
  | { readonly action: 'refuse'; readonly message: string }
  | { readonly action: 'inject'; readonly policyName: string };

export type InjectionResult =
  | { readonly ok: true; readonly pod: Pod; readonly status: InjectionStatus }
  | { readonly ok: false; readonly message: string };

/** The policy a pod asks for, or undefined when it does not opt in. */
export function requestedPolicy(pod: Pod): string | undefined {
  return pod.metadata.annotations?.[ANNOTATION_POLICY];
}

export function describePod(pod: Pod, namespace: string): string {
  const name = pod.metadata.name ?? (pod.metadata.generateName ? `${pod.metadata.generateName}<generated>` : '<unnamed>');
  return `pod ${namespace}/${name}`;
}

export function preflight(pod: Pod, namespace: string, settings: InjectionSettings): Preflight {
  const policyName = requestedPolicy(pod);
  if (policyName === undefined) return { action: 'ignore' };
  if (settings.excludedNamespaces.has(namespace)) {
    return {
      action: 'ignore',
      warning: `mcp-residency never injects in namespace ${namespace}: this pod asks for MCPResidencyPolicy "${policyName}" but will run without the ${SIDECAR_CONTAINER} sidecar (the operator reports it as unprotected)`,
    };
  }
  if (policyName.trim() === '') {
    return { action: 'refuse', message: `${describePod(pod, namespace)}: the ${ANNOTATION_POLICY} annotation is empty; set it to the name of an MCPResidencyPolicy in namespace ${namespace}, or remove it` };
  }
  if (pod.spec.hostNetwork === true) {
    return {
      action: 'refuse',
      message: `${describePod(pod, namespace)} asks for MCPResidencyPolicy "${policyName}" but uses hostNetwork: the ${SIDECAR_CONTAINER} sidecar cannot protect a pod that shares the node's network (its ports would be the node's); remove hostNetwork or the ${ANNOTATION_POLICY} annotation`,
    };
  }
  return { action: 'inject', policyName };
}

export function missingPolicyMessage(pod: Pod, namespace: string, policyName: string): string {
  return `${describePod(pod, namespace)} asks for MCPResidencyPolicy "${policyName}", which does not exist in namespace ${namespace}: create the policy first, or fix the ${ANNOTATION_POLICY} annotation`;
}

export function invalidPolicyMessage(pod: Pod, namespace: string, policyName: string, reason: string): string {
  return `${describePod(pod, namespace)} asks for MCPResidencyPolicy "${policyName}", which is invalid: ${reason}`;
}

/** The MCP server's port: the annotation, else the first containerPort of the first container. */
function upstreamPort(pod: Pod, namespace: string, policyName: string): number | string {
  const annotated = pod.metadata.annotations?.[ANNOTATION_PORT];
  let port: number;
  if (annotated !== undefined) {
    if (!/^[0-9]{1,5}$/u.test(annotated.trim()) || Number(annotated) < 1 || Number(annotated) > 65535) {
      return `${describePod(pod, namespace)}: ${ANNOTATION_PORT} is ${JSON.stringify(annotated)}, not a port number (1-65535)`;
    }
    port = Number(annotated);
  } else {
    const first = pod.spec.containers[0];
    const declared = first?.ports?.[0]?.containerPort;
    if (declared === undefined) {
      return `${describePod(pod, namespace)} asks for MCPResidencyPolicy "${policyName}" but its first container${first ? ` "${first.name}"` : ''} declares no containerPort, so the sidecar does not know where the MCP server listens: set the ${ANNOTATION_PORT} annotation`;
    }
    port = declared;
  }
  if (SIDECAR_PORTS.includes(port)) {
    return `${describePod(pod, namespace)}: the MCP server port ${port} is one the ${SIDECAR_CONTAINER} sidecar listens on (${SIDECAR_PORTS.join(', ')}); move the server to another port`;
  }
  return port;
}

const isOurEnv = (e: EnvVar): boolean => PROXY_ENV_NAMES.includes(e.name);
const proxyEnv = (): EnvVar[] => [
  { name: 'HTTP_PROXY', value: EGRESS_PROXY_URL },
  { name: 'HTTPS_PROXY', value: EGRESS_PROXY_URL },
  { name: 'http_proxy', value: EGRESS_PROXY_URL },
  { name: 'https_proxy', value: EGRESS_PROXY_URL },
  { name: 'NO_PROXY', value: NO_PROXY },
  { name: 'no_proxy', value: NO_PROXY },
  // Node's fetch (and so the OpenAI and Anthropic SDKs) ignores the variables above without this.
  { name: 'NODE_USE_ENV_PROXY', value: '1' },
];

/** Takes out what an earlier pass recorded in the status annotation. */
function removePrevious(pod: Pod, prev: InjectionStatus): void {
  const spec = pod.spec;
  restoreProbes(pod);
  const injected = new Set(prev.initContainers);
  if (spec.initContainers) {
    spec.initContainers = spec.initContainers.filter((c) => !injected.has(c.name));
    if (spec.initContainers.length === 0) delete spec.initContainers;
  }
  const volumes = new Set(prev.volumes);
  if (spec.volumes) {
    spec.volumes = spec.volumes.filter((v) => !volumes.has(v.name));
    if (spec.volumes.length === 0) delete spec.volumes;
  }
  const envOwners = new Set(prev.proxyEnv);
  for (const c of spec.containers) {
    if (!envOwners.has(c.name) || !c.env) continue;
    c.env = c.env.filter((e) => !isOurEnv(e));
    if (c.env.length === 0) delete c.env;
  }
}

/** The pod's own service-account token volume, if an app container mounts one. */
function serviceAccountVolume(pod: Pod): string | undefined {
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    const m = c.volumeMounts?.find((vm) => vm.mountPath.replace(/\/+$/u, '') === SERVICE_ACCOUNT_DIR);
    if (m) return m.name;
  }
  return undefined;
}

const hasSidecar = (containers: readonly Container[] | undefined): boolean => containers?.some((c) => c.name === SIDECAR_CONTAINER) ?? false;

export function injectPod(input: Pod, namespace: string, policy: ResolvedPolicy, settings: InjectionSettings): InjectionResult {
  const pod = structuredClone(input);
  const prev = readStatus(pod);
  const previousSidecar = prev ? pod.spec.initContainers?.find((c) => c.name === SIDECAR_CONTAINER) : undefined;
  if (prev) removePrevious(pod, prev);
  if (podHasSidecar(pod)) {
    return {
      ok: false,
      message: `${describePod(pod, namespace)} already has a container named ${SIDECAR_CONTAINER} that the injector did not add; remove it and let the injector add the sidecar`,
    };
  }
  const port = upstreamPort(pod, namespace, policy.name);
  if (typeof port === 'string') return { ok: false, message: port };
  const captureSettings = settings.capture ?? DEFAULT_CAPTURE;
  const choice = captureChoice(pod, captureSettings);
  if ('error' in choice) return { ok: false, message: `${describePod(pod, namespace)}: ${choice.error}` };
  const uidClash = choice.capture ? sidecarUidClash(pod) : undefined;
  if (uidClash !== undefined) return { ok: false, message: `${describePod(pod, namespace)}: ${uidClash}` };

  const tokenVolume = pod.spec.automountServiceAccountToken === false ? undefined : serviceAccountVolume(pod);
  // With capture on, the MCP port belongs to the gateway: the app's HTTP probes on it go through the admin port.
  const appProbes = choice.capture ? rewriteProbes(pod, port) : {};
  const { container, volumes } = buildSidecar({ settings: settings.sidecar, namespace, policy, upstreamPort: port, tokenVolume, capture: choice.capture, extraEnv: appProbesEnv(appProbes) });
  const clash = volumes.find((v) => pod.spec.volumes?.some((existing) => existing.name === v.name));
  if (clash) {
    return { ok: false, message: `${describePod(pod, namespace)} already has a volume named ${clash.name}, which the injector needs; rename it` };
  }

  const grace = pod.spec.terminationGracePeriodSeconds;
  if (grace !== undefined) {
    // The audit backlog ships on SIGTERM while the grace period lasts; 10 s are left for the app and the Event.
    container.env = [...(container.env ?? []), { name: 'MCP_RESIDENCY_SHUTDOWN_DRAIN_SECONDS', value: String(Math.max(1, grace - 10)) }];
  }
  // First among init containers: app init containers then run with the proxy up (istio#11130),
  // and after the capture rules, so their traffic is captured too.
  const ours = choice.capture ? [buildCaptureInit(settings.sidecar, captureSettings, port), container] : [container];
  pod.spec.initContainers = [...ours, ...(pod.spec.initContainers ?? [])];
  confineWorkloadIdentity(pod, container, policy, previousSidecar);
  pod.spec.volumes = [...(pod.spec.volumes ?? []), ...volumes];

  const owners: string[] = [];
  if (pod.metadata.annotations?.[ANNOTATION_EGRESS_PROXY]?.trim().toLowerCase() !== 'false') {
    for (const c of pod.spec.containers) {
      if (c.env?.some(isOurEnv)) continue; // the app chose its own proxy settings
      c.env = [...(c.env ?? []), ...proxyEnv()];
      owners.push(c.name);
    }
  }

  const status: InjectionStatus = {
    version: settings.sidecar.version,
    policy: policy.name,
    image: settings.sidecar.image,
    initContainers: ours.map((c) => c.name),
    volumes: volumes.map((v) => v.name),
    proxyEnv: owners,
  };
  pod.metadata.annotations = { ...pod.metadata.annotations, [ANNOTATION_STATUS]: encodeStatus(status) };
  return { ok: true, pod, status };
}

/** Whether the pod carries the sidecar (for the operator's enforcing/unprotected counts, and a clash before injecting). */
export function podHasSidecar(pod: Pod): boolean {
  return hasSidecar(pod.spec.initContainers) || hasSidecar(pod.spec.containers);
}

/** Whether the pod's traffic is captured: the init container that installs the rules is there. */
export function podHasCapture(pod: Pod): boolean {
  return pod.spec.initContainers?.some((c) => c.name === CAPTURE_INIT_CONTAINER) ?? false;
}
