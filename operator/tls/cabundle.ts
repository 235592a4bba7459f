// The caBundle of the webhook configurations: what it should say, and the JSON patch that makes
// it so. Each op is guarded by a `test` of the webhook's name, so a concurrent edit that reorders
// the webhooks makes the patch fail (and retry) instead of writing into the wrong entry.
import type { WebhookConfiguration } from '../../kube/core.ts';
import type { PatchOperation } from '../inject/patch.ts';
import { issuedBy, splitPem } from './pki.ts';

export function caBundlePatch(config: WebhookConfiguration, bundlePem: string): PatchOperation[] {
  const want = Buffer.from(bundlePem, 'utf8').toString('base64');
  const ops: PatchOperation[] = [];
  (config.webhooks ?? []).forEach((w, i) => {
    if (w.clientConfig.caBundle === want) return;
    ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name });
    ops.push({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: want });
  });
  return ops;
}

/** Whether every webhook of the configuration has this CA in its caBundle. */
export function trustsCa(config: WebhookConfiguration, caPem: string): boolean {
  const want = caPem.trim();
  return (config.webhooks ?? []).every((w) => splitPem(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8')).some((c) => c.trim() === want));
}

/** Whether every webhook of the configuration would accept this serving certificate. */
export function trustsServing(config: WebhookConfiguration, servingPem: string): boolean {
  return (config.webhooks ?? []).every((w) => splitPem(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8')).some((ca) => issuedBy(servingPem, ca)));
}
