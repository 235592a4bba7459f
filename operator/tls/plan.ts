// When to make, rotate and retire webhook certificates: a pure function of what is stored and
// the time, so every rule is tested with a fake clock. Vault's injector is the model: a CA made
// in-process, short-lived serving certificates, and a CA rotation in which old and new CA are
// both trusted for a while. The one rule that matters most: the serving certificate moves to a
// new CA only after the caBundle the API server uses trusts that CA, and an overlap has passed
// (API servers pick up webhook configuration changes through their informers, not at once).
import { inspect, issuedBy, keyMatches } from './pki.ts';

export interface TlsMaterial {
  /** the trust bundle, newest CA first: exactly what goes into caBundle */
  readonly caCerts: readonly string[];
  /** the newest CA's key: it signs serving certificates */
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  /** when caCerts[0] joined the bundle */
  readonly caAddedAt: Date;
}

export interface TlsTiming {
  readonly caValidityMs: number;
  /** add a new CA this long before the newest one expires (the old stays trusted until it does) */
  readonly caRenewBeforeMs: number;
  readonly servingValidityMs: number;
  readonly servingRenewBeforeMs: number;
  /** how long a new CA must have been published before serving certificates move to it */
  readonly overlapMs: number;
}

export const DEFAULT_TIMING: TlsTiming = {
  caValidityMs: 365 * 86_400_000,
  caRenewBeforeMs: 90 * 86_400_000,
  servingValidityMs: 30 * 86_400_000,
  servingRenewBeforeMs: 10 * 86_400_000,
  overlapMs: 5 * 60_000,
};

export interface PlanInput {
  readonly material: TlsMaterial | undefined;
  readonly now: Date;
  /** the DNS names and IPs the serving certificate must carry */
  readonly names: readonly string[];
  /** whether every webhook configuration's caBundle already trusts caCerts[0] */
  readonly published: boolean;
  readonly timing: TlsTiming;
}

export type TlsStep =
  | { readonly kind: 'create'; readonly reason: string }
  | { readonly kind: 'add-ca'; readonly reason: string }
  | { readonly kind: 'renew-serving'; readonly reason: string }
  | { readonly kind: 'prune'; readonly reason: string; readonly keep: readonly string[] }
  | { readonly kind: 'none'; readonly nextCheckAt: Date };

/** Why stored material cannot be used at all (then everything is made anew), or undefined. */
export function unusable(m: TlsMaterial | undefined, now: Date): string | undefined {
  if (!m) return 'no certificates stored yet';
  if (m.caCerts.length === 0) return 'the stored trust bundle is empty';
  try {
    if (!keyMatches(m.caCerts[0]!, m.caKey)) return 'the stored CA key does not match the newest CA';
    if (!keyMatches(m.servingCert, m.servingKey)) return 'the stored serving key does not match its certificate';
    if (inspect(m.caCerts[0]!).notAfter <= now) return 'the newest CA has expired';
  } catch (err) {
    return `the stored certificates do not parse: ${(err as Error).message}`;
  }
  if (!m.caCerts.some((ca) => issuedBy(m.servingCert, ca))) return 'the serving certificate is not signed by any trusted CA';
  return undefined;
}

export function planTls(input: PlanInput): TlsStep {
  const { material: m, now, timing: t } = input;
  const broken = unusable(m, now);
  if (broken || !m) return { kind: 'create', reason: broken ?? 'no certificates' };
  const at = now.getTime();

  const cas = m.caCerts.map((pem) => ({ pem, facts: inspect(pem) }));
  const live = cas.filter((c) => c.facts.notAfter.getTime() > at);
  if (live.length < cas.length) {
    return { kind: 'prune', reason: `${cas.length - live.length} expired CA(s) in the trust bundle`, keep: live.map((c) => c.pem) };
  }
  const newest = cas[0]!;
  const caDueAt = newest.facts.notAfter.getTime() - t.caRenewBeforeMs;
  if (at >= caDueAt) return { kind: 'add-ca', reason: `the CA expires at ${newest.facts.notAfter.toISOString()}` };

  const serving = inspect(m.servingCert);
  const servingDueAt = serving.notAfter.getTime() - t.servingRenewBeforeMs;
  const fromNewest = issuedBy(m.servingCert, newest.pem);
  const namesMatch = sameSet(serving.names, input.names);
  const switchAt = m.caAddedAt.getTime() + t.overlapMs;
  const mayUseNewest = input.published && at >= switchAt;
  if (serving.notAfter.getTime() <= at) return { kind: 'renew-serving', reason: 'the serving certificate has expired' };
  if (!fromNewest && mayUseNewest) return { kind: 'renew-serving', reason: 'moving the serving certificate to the new CA' };
  // A serving certificate never outlives its CA, so renewing one capped by the CA's expiry
  // gains nothing (and would loop): the CA rotation above comes first.
  const renewedNotAfter = Math.min(at + t.servingValidityMs, newest.facts.notAfter.getTime());
  if (at >= servingDueAt && fromNewest && renewedNotAfter > serving.notAfter.getTime() + 1000) {
    return { kind: 'renew-serving', reason: `the serving certificate expires at ${serving.notAfter.toISOString()}` };
  }
  if (!namesMatch && (fromNewest || mayUseNewest)) return { kind: 'renew-serving', reason: `the serving names changed to ${input.names.join(', ')}` };

  const due = [caDueAt, servingDueAt, ...cas.slice(1).map((c) => c.facts.notAfter.getTime())];
  if (!fromNewest) due.push(input.published ? switchAt : at + 10_000);
  // Times already past are ones where acting gains nothing (a capped renewal); skip them.
  const future = due.filter((d) => d > at);
  const next = future.length > 0 ? Math.min(...future) : at + 86_400_000;
  return { kind: 'none', nextCheckAt: new Date(Math.max(at + 1000, next)) };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  return x.size === new Set(b).size && b.every((n) => x.has(n));
}
