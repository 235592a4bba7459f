// TLS material <-> the Secret the replicas share (in the operator's namespace).
import type { Secret } from '../../kube/core.ts';
import { splitPem, type KeyedCertificate } from './pki.ts';
import type { TlsMaterial } from './plan.ts';

export const CA_ADDED_AT_ANNOTATION = 'mcpresidency.io/ca-added-at';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string | undefined => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

export function toSecret(name: string, namespace: string, m: TlsMaterial, labels: Record<string, string>): Secret {
  return {
    metadata: { name, namespace, labels, annotations: { [CA_ADDED_AT_ANNOTATION]: m.caAddedAt.toISOString() } },
    type: 'Opaque',
    data: {
      'ca.crt': b64(m.caCerts.join('')),
      'ca.key': b64(m.caKey),
      'tls.crt': b64(m.servingCert),
      'tls.key': b64(m.servingKey),
    },
  };
}

/** undefined when the Secret lacks a piece (the planner then starts over). */
export function fromSecret(secret: Secret | undefined): TlsMaterial | undefined {
  const d = secret?.data ?? {};
  const bundle = unb64(d['ca.crt']);
  const caKey = unb64(d['ca.key']);
  const servingCert = unb64(d['tls.crt']);
  const servingKey = unb64(d['tls.key']);
  if (!bundle || !caKey || !servingCert || !servingKey) return undefined;
  const added = Date.parse(secret?.metadata.annotations?.[CA_ADDED_AT_ANNOTATION] ?? '');
  return { caCerts: splitPem(bundle), caKey, servingCert, servingKey, caAddedAt: new Date(Number.isNaN(added) ? 0 : added) };
}

/** The serving pair every replica loads, or undefined while there is none. */
export function servingPair(secret: Secret | undefined): (KeyedCertificate & { bundle: string }) | undefined {
  const d = secret?.data ?? {};
  const certPem = unb64(d['tls.crt']);
  const keyPem = unb64(d['tls.key']);
  const bundle = unb64(d['ca.crt']);
  return certPem && keyPem && bundle ? { certPem, keyPem, bundle } : undefined;
}
