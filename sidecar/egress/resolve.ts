// Resolving an upstream's host and checking every address before anything is sent. The caller
// connects to one of the addresses returned here, never to the name again, so a DNS answer
// that changes between check and connect (DNS rebinding) cannot redirect the connection.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { checkAddresses, type AddressAllowance, type AddressClass } from './ssrf.ts';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), every answer in its order. */
export const systemResolver: Resolver = async (host) => {
  const answers = await lookup(host, { all: true, order: 'verbatim' });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** The addresses of a pass-through's host, checked against what its policy entry allows. */
export function pinPassThrough(pass: { readonly host: string; readonly allowPrivateAddresses: boolean }, resolver: Resolver, timeoutMs: number): Promise<Pinned> {
  return resolvePinned(pass.host, { allowPrivate: pass.allowPrivateAddresses, urlHost: pass.host }, resolver, timeoutMs);
}

export type Pinned =
  | { readonly ok: true; readonly addresses: readonly ResolvedAddress[] }
  | { readonly ok: false; readonly kind: 'ssrf'; readonly address: string; readonly cls: AddressClass; readonly reason: string }
  | { readonly ok: false; readonly kind: 'dns'; readonly reason: string };

export async function resolvePinned(host: string, allowance: AddressAllowance, resolver: Resolver, timeoutMs: number): Promise<Pinned> {
  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal !== 0) {
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    let timer: NodeJS.Timeout | undefined;
    try {
      addresses = await Promise.race([
        resolver(host),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { ok: false, kind: 'dns', reason: `cannot resolve ${host}: ${code ?? (err as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  }
  const verdict = checkAddresses(
    addresses.map((a) => a.address),
    allowance,
  );
  if (!verdict.ok) return { ok: false, kind: 'ssrf', address: verdict.address, cls: verdict.cls, reason: `${host} resolves to ${verdict.reason}` };
  return { ok: true, addresses };
}
