// Everything `mcp-residency operator` can be told, resolved and checked before anything starts,
// so a wrong flag is one clear line at startup rather than a failure on the first pod.
import { parseListen } from '../lib/listen.ts';
import { isLevel, type Level } from '../lib/log.ts';
import type { CaptureSettings, SidecarSettings } from './inject/settings.ts';
import type { TlsTiming } from './tls/plan.ts';

export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface OperatorOptions {
  /** the operator's own namespace: never injected; holds the TLS Secret and the Lease */
  readonly namespace: string;
  /** this replica's name in the Lease and in Events (the pod name in a cluster) */
  readonly identity: string;
  readonly sidecar: SidecarSettings;
  /** traffic capture in injected pods; omitted: on, nothing inside the boundary */
  readonly capture?: CaptureSettings;
  /** namespaces never injected, besides kube-system, kube-public, kube-node-lease and `namespace` */
  readonly excludeNamespaces: readonly string[];
  readonly webhookListen: Address;
  readonly adminListen: Address;
  readonly leaderElect: boolean;
  readonly leaseName: string;
  readonly mutatingWebhookConfigs: readonly string[];
  readonly validatingWebhookConfigs: readonly string[];
  readonly tlsSecret: string;
  /** the Service in front of the webhook: the serving certificate is made for its DNS names */
  readonly webhookService: string;
  /** more names or IPs for the serving certificate */
  readonly webhookHosts: readonly string[];
  readonly tlsTiming: TlsTiming;
  readonly sidecarRbacName: string;
  readonly resyncMs: number;
  readonly watchIdleTimeoutMs: number;
  readonly logLevel: Level;
  /** Stripped from approvers' Kubernetes user names before comparing with the requester (e.g. "oidc:"). */
  readonly approverUsernamePrefix: string;
}

export class OptionsError extends Error {}

/** "0.0.0.0:9443", ":9443", "[::]:9443", "127.0.0.1:0" */
export function parseAddress(flag: string, value: string): Address {
  try {
    return parseListen(value, `--${flag}`, '0.0.0.0:9443');
  } catch (err) {
    throw new OptionsError((err as Error).message);
  }
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/u;

export function checkQuantity(flag: string, value: string): string {
  if (!QUANTITY.test(value)) throw new OptionsError(`--${flag}: "${value}" is not a Kubernetes quantity (e.g. 100m, 128Mi, 1)`);
  return value;
}

/** Kubernetes-style durations: 90s, 5m, 1h, 30d. */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/u.exec(value.trim());
  if (!m) throw new OptionsError(`--${flag}: "${value}" is not a duration (e.g. 30s, 5m, 12h, 30d)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export function checkTiming(t: TlsTiming): TlsTiming {
  if (t.caRenewBeforeMs >= t.caValidityMs) throw new OptionsError('the CA must be renewed before it expires: ca-renew-before must be shorter than ca-validity');
  if (t.servingRenewBeforeMs >= t.servingValidityMs) throw new OptionsError('serving-renew-before must be shorter than serving-validity');
  if (t.overlapMs >= t.caRenewBeforeMs) throw new OptionsError('the CA overlap must be shorter than ca-renew-before, or a new CA would never be used before the old expires');
  return t;
}

export function parseLevel(flag: string, value: string): Level {
  if (!isLevel(value)) throw new OptionsError(`--${flag}: "${value}" is not one of debug, info, warn, error`);
  return value;
}
