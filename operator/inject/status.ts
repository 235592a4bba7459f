// The `mcpresidency.io/status` annotation: what the injector added to a pod, so a later pass
// (reinvocation, a pod re-created from an injected pod's YAML) can take exactly that out and put
// it back, and so `kubectl get pod -o yaml` says which policy and image protect the pod.
import { ANNOTATION_STATUS } from './constants.ts';
import type { Pod } from '../../kube/core.ts';

export interface InjectionStatus {
  /** the operator version that injected */
  readonly version: string;
  readonly policy: string;
  readonly image: string;
  readonly initContainers: readonly string[];
  readonly volumes: readonly string[];
  /** app containers whose proxy variables the injector set */
  readonly proxyEnv: readonly string[];
}

export function encodeStatus(s: InjectionStatus): string {
  // Fixed key order: the annotation is compared byte for byte across passes.
  return JSON.stringify({
    version: s.version,
    policy: s.policy,
    image: s.image,
    initContainers: s.initContainers,
    volumes: s.volumes,
    proxyEnv: s.proxyEnv,
  });
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x): x is string => typeof x === 'string') ? v : undefined);

/** undefined when absent or not ours (a hand-written value is treated as absent). */
export function readStatus(pod: Pod): InjectionStatus | undefined {
  const raw = pod.metadata.annotations?.[ANNOTATION_STATUS];
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const initContainers = strings(o.initContainers);
  const volumes = strings(o.volumes);
  const proxyEnv = strings(o.proxyEnv);
  if (typeof o.policy !== 'string' || typeof o.image !== 'string' || typeof o.version !== 'string' || !initContainers || !volumes || !proxyEnv) {
    return undefined;
  }
  return { version: o.version, policy: o.policy, image: o.image, initContainers, volumes, proxyEnv };
}
