// Shared fixtures for the operator tests: injection settings like the chart's defaults, the
// golden policy, and a wait helper.
import { eventually as poll } from '../support/eventually.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SYSTEM_NAMESPACES } from '../../operator/inject/constants.ts';
import type { InjectionSettings } from '../../operator/inject/settings.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import { checkPolicy } from '../../operator/policies/check.ts';

export const goldenDir = join(import.meta.dirname, 'golden');

export const settings: InjectionSettings = {
  sidecar: {
    image: 'ghcr.io/example/mcp-residency:0.1.0',
    imagePullPolicy: 'IfNotPresent',
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } },
    logLevel: 'info',
    auditSizeLimit: '1Gi',
    version: '0.1.0',
  },
  excludedNamespaces: new Set([...SYSTEM_NAMESPACES, 'mcp-residency-system']),
};

export function goldenPolicy(): ResolvedPolicy {
  const check = checkPolicy(parse(readFileSync(join(goldenDir, 'policy.yaml'), 'utf8')));
  if (!check.ok) throw new Error(`golden policy is invalid: ${check.message}`);
  return check.policy;
}

/** The operator tests wait longer by default: reconciles go through the API server. */
export function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  return poll(what, fn, timeoutMs, everyMs);
}
