// The capture rules of one pod as a pure plan: which netfilter chains, which rules, in which
// order. No I/O here: `capture apply --dry-run` prints this plan, and the helper
// (sidecar/capture/nft/) installs exactly it in one table of our own (inet, so IPv4 and IPv6 are
// the same rules), replaced atomically.
//
// What the plan does, for a pod whose MCP server listens on `mcpPorts`:
// - inbound (nat prerouting): TCP that arrives from outside the pod on an MCP port goes to the
//   MCP gateway (15080). The sidecar's own connection to the app is local, so prerouting never
//   sees it.
// - outbound (nat output): every new TCP connection a process other than the sidecar (UID 65532)
//   opens to a non-loopback address goes to the transparent egress listener (15082), except DNS
//   to the pod's resolvers and the ranges named inside the boundary. The sidecar's own probe
//   connection to 127.0.0.6:15083 is sent to the listener too: it is how /readyz proves that
//   the rules are in place.
// - outbound_filter (filter output): what the nat chain did not capture and is not TCP is
//   dropped (UDP other than DNS, SCTP, ...), except ICMP, which IPv6 cannot work without.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

export const CAPTURE_TABLE = 'mcp_residency';
/** the sidecar's transparent egress listener (TCP, all addresses) */
export const PORT_TRANSPARENT = 15082;
/** the address and port that only the sidecar's readiness probe dials; nothing listens there */
export const PROOF_ADDRESS = '127.0.0.6';
export const PORT_PROOF = 15083;

export interface CaptureOptions {
  /** the MCP server's port(s): TCP from outside to these goes to `inboundTarget` */
  readonly mcpPorts: readonly number[];
  /** the MCP gateway, 15080 */
  readonly inboundTarget: number;
  /** the transparent egress listener, 15082 */
  readonly egressTarget: number;
  /** the sidecar's UID, 65532: its own traffic is never captured */
  readonly sidecarUid: number;
  /** resolvers DNS (UDP and TCP port 53) may reach without a decision */
  readonly dnsServers: readonly string[];
  /** address ranges inside the boundary: pass without a decision (CIDR or single address) */
  readonly insideRanges: readonly string[];
}

export type Condition =
  | { readonly kind: 'l4proto'; readonly value: 'tcp' | 'udp' | 'icmp' | 'icmpv6' }
  | { readonly kind: 'dport' | 'skuid'; readonly value: number; readonly negate?: boolean }
  | { readonly kind: 'oifname' | 'iifname'; readonly value: string; readonly negate?: boolean }
  | { readonly kind: 'daddr'; readonly value: string; readonly negate?: boolean };

export type Verdict = { readonly kind: 'accept' | 'return' | 'drop' } | { readonly kind: 'redirect'; readonly port: number };

export interface PlannedRule {
  /** "mcp-residency <digest>: <what it does>"; `capture show` lists these */
  readonly comment: string;
  readonly match: readonly Condition[];
  readonly verdict: Verdict;
}

export interface PlannedChain {
  readonly name: string;
  readonly type: 'nat' | 'filter';
  readonly hook: 'prerouting' | 'output';
  readonly priority: number;
  readonly rules: readonly PlannedRule[];
}

/** The JSON the helper reads on stdin. */
export interface CapturePlan {
  readonly table: string;
  readonly chains: readonly PlannedChain[];
}

export class CaptureOptionError extends Error {}

const isPort = (p: number): boolean => Number.isInteger(p) && p >= 1 && p <= 65535;

/** A single address or a CIDR, normalised; throws naming the flag and the value. */
export function parseRange(value: string, what: string): string {
  const [addr, bits, ...rest] = value.trim().split('/');
  const family = addr?.includes('%') ? 0 : isIP(addr ?? '');
  const max = family === 4 ? 32 : 128;
  if (family === 0 || rest.length > 0 || (bits !== undefined && (!/^\d{1,3}$/u.test(bits) || Number(bits) > max))) {
    throw new CaptureOptionError(`${what}: "${value}" is not an IPv4 or IPv6 address or CIDR (e.g. 10.96.0.0/12, fd00::/8)`);
  }
  return bits === undefined ? addr! : `${addr}/${Number(bits)}`;
}

function check(o: CaptureOptions): void {
  for (const [name, port] of [['inbound target', o.inboundTarget], ['egress target', o.egressTarget], ...o.mcpPorts.map((p) => ['MCP port', p] as const)] as const) {
    if (!isPort(port)) throw new CaptureOptionError(`${name} ${port} is not a port (1-65535)`);
  }
  const ours = [o.inboundTarget, o.egressTarget, PORT_PROOF];
  const clash = o.mcpPorts.find((p) => ours.includes(p));
  if (clash !== undefined) throw new CaptureOptionError(`MCP port ${clash} is one of the sidecar's own ports (${ours.join(', ')})`);
  if (!Number.isInteger(o.sidecarUid) || o.sidecarUid < 1 || o.sidecarUid > 0xfffffffe) {
    // UID 0 would exempt every root process in the pod from capture.
    throw new CaptureOptionError(`sidecar UID ${o.sidecarUid} must be a non-root UID`);
  }
  for (const s of o.dnsServers) if (parseRange(s, 'DNS server').includes('/')) throw new CaptureOptionError(`DNS server "${s}" must be one address`);
  for (const r of o.insideRanges) parseRange(r, 'inside range');
}

const tcp: Condition = { kind: 'l4proto', value: 'tcp' };
const udp: Condition = { kind: 'l4proto', value: 'udp' };
const dport = (value: number): Condition => ({ kind: 'dport', value });
const daddr = (value: string): Condition => ({ kind: 'daddr', value });

type Draft = { what: string; match: Condition[]; verdict: Verdict };
interface DraftChain extends Omit<PlannedChain, 'rules'> {
  readonly rules: Draft[];
}

function draft(o: CaptureOptions): DraftChain[] {
  const sidecar: Condition = { kind: 'skuid', value: o.sidecarUid };
  const loopbackOut: Condition = { kind: 'oifname', value: 'lo' };
  const dns = o.dnsServers.map((s) => parseRange(s, 'DNS server'));
  const inside = o.insideRanges.map((r) => parseRange(r, 'inside range'));
  const toEgress: Verdict = { kind: 'redirect', port: o.egressTarget };

  const inbound: Draft[] = [
    { what: 'traffic from inside the pod is never inbound', match: [{ kind: 'iifname', value: 'lo' }], verdict: { kind: 'return' } },
    ...o.mcpPorts.map((p) => ({ what: `inbound TCP to the MCP port ${p} goes to the MCP gateway`, match: [tcp, dport(p)], verdict: { kind: 'redirect' as const, port: o.inboundTarget } })),
  ];
  const passDns = (verdict: Verdict): Draft[] =>
    dns.flatMap((s) => [
      { what: `DNS (UDP) to the resolver ${s} passes`, match: [udp, daddr(s), dport(53)], verdict },
      { what: `DNS (TCP) to the resolver ${s} passes`, match: [tcp, daddr(s), dport(53)], verdict },
    ]);
  const passInside = (verdict: Verdict): Draft[] => inside.map((r) => ({ what: `${r} is inside the boundary`, match: [daddr(r)], verdict }));
  const outbound: Draft[] = [
    {
      what: `readiness proof: the sidecar's probe to ${PROOF_ADDRESS}:${PORT_PROOF} reaches the egress listener`,
      match: [tcp, daddr(PROOF_ADDRESS), dport(PORT_PROOF), sidecar],
      verdict: toEgress,
    },
    { what: "the sidecar's own traffic is not captured", match: [sidecar], verdict: { kind: 'return' } },
    { what: 'traffic that stays in the pod (loopback) is not captured', match: [loopbackOut], verdict: { kind: 'return' } },
    ...passDns({ kind: 'return' }),
    ...passInside({ kind: 'return' }),
    { what: 'every other outbound TCP connection goes to the egress listener', match: [tcp], verdict: toEgress },
  ];
  const accept: Verdict = { kind: 'accept' };
  const filter: Draft[] = [
    { what: "the sidecar's own traffic passes", match: [sidecar], verdict: accept },
    { what: 'loopback passes', match: [loopbackOut], verdict: accept },
    { what: 'TCP passes (the nat chain captured it or let it pass)', match: [tcp], verdict: accept },
    ...passDns(accept),
    ...passInside(accept),
    { what: 'ICMP passes (errors, path MTU)', match: [{ kind: 'l4proto', value: 'icmp' }], verdict: accept },
    { what: 'ICMPv6 passes (neighbour discovery: IPv6 needs it)', match: [{ kind: 'l4proto', value: 'icmpv6' }], verdict: accept },
    { what: 'everything else (UDP other than DNS, ...) is dropped', match: [], verdict: { kind: 'drop' } },
  ];
  return [
    { name: 'inbound', type: 'nat', hook: 'prerouting', priority: -100, rules: inbound },
    { name: 'outbound', type: 'nat', hook: 'output', priority: -100, rules: outbound },
    { name: 'outbound_filter', type: 'filter', hook: 'output', priority: 0, rules: filter },
  ];
}

/**
 * The plan for these options. Every comment carries a digest of the whole rule set, so the
 * helper recognises an installed, identical plan by its comments and leaves it alone.
 */
export function capturePlan(options: CaptureOptions): CapturePlan {
  check(options);
  const chains = draft(options);
  const digest = createHash('sha256')
    .update(JSON.stringify(chains.map((c) => ({ ...c, rules: c.rules.map((r) => [r.match, r.verdict]) }))))
    .digest('hex')
    .slice(0, 12);
  return {
    table: CAPTURE_TABLE,
    chains: chains.map((c) => ({ ...c, rules: c.rules.map((r) => ({ comment: `mcp-residency ${digest}: ${r.what}`, match: r.match, verdict: r.verdict })) })),
  };
}

/** The nameservers of a resolv.conf, in order: DNS to these passes without a decision. */
export function resolvConfServers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/u.exec(line);
    // A zone index (fe80::1%eth0) cannot be matched by address; such resolvers are link-local anyway.
    if (m && !m[1]!.includes('%') && isIP(m[1]!) !== 0 && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}
