// Which IP addresses the egress gateway may connect to. An LLM provider lives on the public
// internet; an address inside the pod, the node, the cluster or the cloud's control plane is
// where a server-side request forgery would do harm. Pure: addresses in, verdicts out.
//
// Classes, from the IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and
// successors), plus the cloud metadata endpoints, which are refused even for upstreams that
// may use private addresses: no LLM API is served there, and they hand out credentials.
import { isIP } from 'node:net';

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared' // 100.64.0.0/10, carrier-grade NAT; also where some clouds put control-plane endpoints
  | 'unique-local'
  | 'reserved'
  | 'metadata'
  | 'multicast'
  | 'broadcast'
  | 'unspecified';

/** Never reachable, whatever the upstream declares: connecting there is an attack or a mistake. */
const ALWAYS_REFUSED: ReadonlySet<AddressClass> = new Set(['metadata', 'multicast', 'broadcast', 'unspecified']);

const DESCRIPTION: Record<AddressClass, string> = {
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  shared: 'a shared (carrier-grade NAT) address',
  'unique-local': 'an IPv6 unique local address',
  reserved: 'a reserved special-purpose address',
  metadata: 'a cloud metadata endpoint',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  unspecified: 'the unspecified address (it reaches the local host)',
};

// Instance metadata and credential endpoints. Sources: AWS IMDS 169.254.169.254 /
// fd00:ec2::254; ECS task metadata 169.254.170.2; EKS Pod Identity agent 169.254.170.23 /
// fd00:ec2::23; Azure IMDS 169.254.169.254 and WireServer 168.63.129.16 (a public address);
// GCP metadata 169.254.169.254 / fd20:ce::254; Alibaba Cloud 100.100.100.200; OCI, DigitalOcean,
// OpenStack 169.254.169.254.
const METADATA_V4: ReadonlySet<number> = new Set(
  ['169.254.169.254', '169.254.170.2', '169.254.170.23', '168.63.129.16', '100.100.100.200'].map((a) => v4ToInt(a)!),
);
const METADATA_V6: ReadonlySet<string> = new Set(['fd00:ec2::254', 'fd00:ec2::23', 'fd20:ce::254'].map((a) => bytesKey(parseV6(a)!)));

const V4_RANGES: ReadonlyArray<readonly [string, number, AddressClass]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const V4_COMPILED = V4_RANGES.map(([base, bits, cls]) => ({ base: v4ToInt(base)!, mask: bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0, cls }));

export function classifyAddress(address: string): AddressClass {
  const bare = stripZone(address);
  const kind = isIP(bare);
  if (kind === 4) return classifyV4(v4ToInt(bare)!);
  if (kind === 6) return classifyV6(parseV6(bare)!);
  // Not an address at all: callers only pass resolver output, so treat it as hostile.
  return 'reserved';
}

function classifyV4(n: number): AddressClass {
  if (METADATA_V4.has(n)) return 'metadata';
  if (n === 0xffffffff) return 'broadcast';
  for (const r of V4_COMPILED) if (((n & r.mask) >>> 0) === r.base) return r.cls;
  return 'public';
}

function classifyV6(b: Uint8Array): AddressClass {
  if (METADATA_V6.has(bytesKey(b))) return 'metadata';
  const zeroTo = (end: number): boolean => b.subarray(0, end).every((x) => x === 0);
  const v4At = (i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  if (zeroTo(16)) return 'unspecified';
  if (zeroTo(15) && b[15] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d reaches the IPv4 address itself: judge that.
  if (zeroTo(10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(v4At(12));
  // Deprecated IPv4-compatible ::a.b.c.d.
  if (zeroTo(12)) return 'reserved';
  // NAT64 well-known prefix 64:ff9b::/96: the translator connects to the embedded IPv4 address.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b.subarray(4, 12).every((x) => x === 0)) return classifyV4(v4At(12));
  // Local-use NAT64 64:ff9b:1::/48.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && b[4] === 0x00 && b[5] === 0x01) return 'private';
  // 6to4 2002::/16 embeds the IPv4 address of the relay's far end.
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(v4At(2));
  if (b[0] === 0xff) return 'multicast';
  if ((b[0]! & 0xfe) === 0xfc) return 'unique-local';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local';
  // Deprecated site-local fec0::/10: private in practice.
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'private';
  // Discard-only 100::/64.
  if (b[0] === 0x01 && b[1] === 0x00 && b.subarray(2, 8).every((x) => x === 0)) return 'reserved';
  // IETF protocol assignments 2001::/23 (Teredo, which tunnels to a hidden IPv4 address,
  // ORCHID, AMT, ...), documentation 2001:db8::/32 and 3fff::/20.
  if (b[0] === 0x20 && b[1] === 0x01 && b[2]! < 0x02) return 'reserved';
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'reserved';
  if (b[0] === 0x3f && b[1] === 0xff && (b[2]! & 0xf0) === 0x00) return 'reserved';
  // Only 2000::/3 is allocated as global unicast.
  if ((b[0]! & 0xe0) !== 0x20) return 'reserved';
  return 'public';
}

export function describeAddressClass(cls: AddressClass): string {
  return DESCRIPTION[cls];
}

/** How an upstream is allowed to be reached. */
export interface AddressAllowance {
  /** The upstream is declared with allowPrivateAddresses: true. */
  readonly allowPrivate: boolean;
  /**
   * The host in the upstream's URL, when it names a non-public place on purpose: an IP literal
   * (that address is allowed), or `localhost` (loopback addresses are allowed).
   */
  readonly urlHost: string;
}

export type AddressVerdict = { readonly ok: true; readonly cls: AddressClass } | { readonly ok: false; readonly cls: AddressClass; readonly reason: string };

export function addressVerdict(address: string, allowance: AddressAllowance): AddressVerdict {
  const cls = classifyAddress(address);
  if (cls === 'public') return { ok: true, cls };
  const what = `${address} is ${describeAddressClass(cls)}`;
  if (ALWAYS_REFUSED.has(cls)) return { ok: false, cls, reason: `${what}, which is never reachable through the egress gateway` };
  if (allowance.allowPrivate) return { ok: true, cls };
  const host = stripZone(allowance.urlHost.replace(/^\[|\]$/gu, '')).toLowerCase();
  if (isIP(host) !== 0 && sameAddress(host, address)) return { ok: true, cls };
  if (host === 'localhost' && cls === 'loopback') return { ok: true, cls };
  return { ok: false, cls, reason: `${what}; declare the upstream with allowPrivateAddresses: true if that is intended` };
}

/**
 * Checks every address a name resolved to: one bad answer refuses them all, since a resolver
 * mixing public and internal answers is the shape of a DNS-rebinding attack.
 */
export function checkAddresses(addresses: readonly string[], allowance: AddressAllowance): { ok: true } | { ok: false; address: string; cls: AddressClass; reason: string } {
  if (addresses.length === 0) return { ok: false, address: '', cls: 'reserved', reason: 'the name resolved to no address' };
  for (const address of addresses) {
    const v = addressVerdict(address, allowance);
    if (!v.ok) return { ok: false, address, cls: v.cls, reason: v.reason };
  }
  return { ok: true };
}

function sameAddress(a: string, b: string): boolean {
  const ka = isIP(a);
  const kb = isIP(stripZone(b));
  if (ka === 4 && kb === 4) return a === stripZone(b);
  if (ka === 6 && kb === 6) return bytesKey(parseV6(a)!) === bytesKey(parseV6(stripZone(b))!);
  return false;
}

function stripZone(address: string): string {
  const i = address.indexOf('%');
  return i < 0 ? address : address.slice(0, i);
}

function v4ToInt(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/u.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** 16 bytes of an IPv6 address (already validated by isIP), embedded IPv4 tails included. */
export function parseV6(address: string): Uint8Array | undefined {
  let text = address;
  const out = new Uint8Array(16);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = v4ToInt(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [(v4 >>> 24) & 0xff, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff];
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const head = words(halves[0]!);
  const rest = halves.length === 2 ? words(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0) || [...head, ...rest].some((w) => Number.isNaN(w) || w > 0xffff)) return undefined;
  const all = [...head, ...new Array<number>(fill).fill(0), ...rest];
  all.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

function bytesKey(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
