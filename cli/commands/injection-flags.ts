// The flags that decide what the injector adds to a pod, shared by `operator` (the webhook) and
// `inject` (the same injection offline), so both give the same pod for the same flags.
import { checkQuantity, OptionsError, parseLevel } from '../../operator/options.ts';
import type { CaptureSettings, SidecarSettings } from '../../operator/inject/settings.ts';
import { productVersion } from '../../operator/version.ts';
import { parseRange } from '../../sidecar/capture/rules.ts';
import type { FlagSpec } from '../command.ts';

export const injectionFlags = {
  'sidecar-image': { type: 'string', value: 'IMAGE', default: `ghcr.io/mcp-residency/mcp-residency:${productVersion()}`, help: 'image of the injected sidecar' },
  'sidecar-image-pull-policy': { type: 'string', value: 'POLICY', default: 'IfNotPresent', help: 'Always, IfNotPresent or Never' },
  'sidecar-cpu-request': { type: 'string', value: 'QTY', default: '50m', help: "the sidecar's CPU request" },
  'sidecar-memory-request': { type: 'string', value: 'QTY', default: '128Mi', help: "the sidecar's memory request" },
  'sidecar-cpu-limit': { type: 'string', value: 'QTY', default: '1', help: "the sidecar's CPU limit ('' for none)" },
  'sidecar-memory-limit': { type: 'string', value: 'QTY', default: '256Mi', help: "the sidecar's memory limit" },
  'sidecar-log-level': { type: 'string', value: 'LEVEL', default: 'info', help: "the sidecar's --log-level" },
  'sidecar-audit-size-limit': { type: 'string', value: 'QTY', default: '1Gi', help: 'sizeLimit of the audit emptyDir' },
  capture: { type: 'string', value: 'on|off', default: 'on', help: 'capture injected pods\' traffic (init container mcp-residency-init); a pod opts out with mcpresidency.io/capture: "false"' },
  'capture-inside': { type: 'string', value: 'CIDR,...', help: 'address ranges inside the boundary: captured pods reach them without a decision (e.g. your Service and Pod CIDRs)' },
} as const satisfies Record<string, FlagSpec>;

type InjectionFlagValues = { readonly [K in keyof typeof injectionFlags]: string | undefined };

const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** Throws OptionsError naming the flag. */
export function injectionSettingsFrom(flags: InjectionFlagValues): { sidecar: SidecarSettings; capture: CaptureSettings } {
  const get = (name: keyof typeof injectionFlags): string => flags[name] ?? (injectionFlags[name] as FlagSpec).default ?? '';
  const pullPolicy = get('sidecar-image-pull-policy');
  if (pullPolicy !== 'Always' && pullPolicy !== 'IfNotPresent' && pullPolicy !== 'Never') {
    throw new OptionsError(`--sidecar-image-pull-policy: "${pullPolicy}" is not one of Always, IfNotPresent, Never`);
  }
  const limits: Record<string, string> = { memory: checkQuantity('sidecar-memory-limit', get('sidecar-memory-limit')) };
  if (get('sidecar-cpu-limit') !== '') limits.cpu = checkQuantity('sidecar-cpu-limit', get('sidecar-cpu-limit'));
  const capture = get('capture');
  if (capture !== 'on' && capture !== 'off') throw new OptionsError(`--capture: "${capture}" is not on or off`);
  let inside: string[];
  try {
    inside = list(flags['capture-inside']).map((r) => parseRange(r, '--capture-inside'));
  } catch (err) {
    throw new OptionsError((err as Error).message);
  }
  return {
    sidecar: {
      image: get('sidecar-image'),
      imagePullPolicy: pullPolicy,
      resources: {
        requests: { cpu: checkQuantity('sidecar-cpu-request', get('sidecar-cpu-request')), memory: checkQuantity('sidecar-memory-request', get('sidecar-memory-request')) },
        limits,
      },
      logLevel: parseLevel('sidecar-log-level', get('sidecar-log-level')),
      auditSizeLimit: checkQuantity('sidecar-audit-size-limit', get('sidecar-audit-size-limit')),
      version: productVersion(),
    },
    capture: { enabled: capture === 'on', insideRanges: inside },
  };
}
