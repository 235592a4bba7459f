// Carries out one planned step: the crypto half of plan.ts.
import { createCa, issueServing } from './pki.ts';
import type { TlsMaterial, TlsStep, TlsTiming } from './plan.ts';

export const CA_COMMON_NAME = 'mcp-residency-webhook-ca';

export async function applyStep(m: TlsMaterial | undefined, step: Exclude<TlsStep, { kind: 'none' }>, names: readonly string[], now: Date, t: TlsTiming): Promise<TlsMaterial> {
  switch (step.kind) {
    case 'create': {
      const ca = await createCa(CA_COMMON_NAME, t.caValidityMs, now);
      const serving = await issueServing(ca, names, t.servingValidityMs, now);
      return { caCerts: [ca.certPem], caKey: ca.keyPem, servingCert: serving.certPem, servingKey: serving.keyPem, caAddedAt: now };
    }
    case 'add-ca': {
      if (!m) throw new Error('add-ca needs stored material');
      const ca = await createCa(CA_COMMON_NAME, t.caValidityMs, now);
      return { ...m, caCerts: [ca.certPem, ...m.caCerts], caKey: ca.keyPem, caAddedAt: now };
    }
    case 'renew-serving': {
      if (!m) throw new Error('renew-serving needs stored material');
      const serving = await issueServing({ certPem: m.caCerts[0]!, keyPem: m.caKey }, names, t.servingValidityMs, now);
      return { ...m, servingCert: serving.certPem, servingKey: serving.keyPem };
    }
    case 'prune':
      if (!m) throw new Error('prune needs stored material');
      return { ...m, caCerts: [...step.keep] };
  }
}
