// DNS-rebinding protection, as the MCP transports ask ("Servers MUST validate the Origin
// header") and as the reference SDK does it. A rebound page's requests carry the attacker's
// name in Host and Origin, so on a connection that arrived on a loopback address the Host must
// itself be a loopback name: a public name reaching a loopback address is what rebinding looks
// like. Beyond that, a browser origin passes when it is the request's own origin (Origin
// host:port equals Host), a loopback origin on a loopback connection, or one the policy lists.
// Requests without Origin (every non-browser client) are checked for Host only.
import { isIP } from 'node:net';

export interface OriginInput {
  readonly origin: string | undefined;
  readonly host: string | undefined;
  /** The local address the connection arrived on (req.socket.localAddress). */
  readonly localAddress: string | undefined;
  /** authentication.allowedOrigins */
  readonly allowed: readonly string[];
}

export type OriginVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['localhost', '[::1]', '::1']);

export function checkOrigin(input: OriginInput): OriginVerdict {
  const allowed = input.allowed.map(normalizeOrigin);
  const loopbackConnection = isLoopbackAddress(input.localAddress);
  const host = (input.host ?? '').toLowerCase();
  const hostname = hostnameOf(host);
  if (loopbackConnection && !isLoopbackName(hostname) && !allowed.some((a) => hostnameOf(new URL(a).host) === hostname)) {
    return {
      ok: false,
      reason: `the Host header "${input.host ?? ''}" is not a loopback name, but the request arrived on a loopback address (DNS rebinding); list the origin in authentication.allowedOrigins to allow it`,
    };
  }
  if (input.origin === undefined) return { ok: true };
  const origin = normalizeOrigin(input.origin);
  if (allowed.includes(origin)) return { ok: true };
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:')) {
    if (host !== '' && url.host === sameOriginHost(url.protocol, host)) return { ok: true };
    if (loopbackConnection && isLoopbackName(url.hostname)) return { ok: true };
  }
  return {
    ok: false,
    reason: `origin ${input.origin} is not allowed: it is not the request's own origin (Host ${input.host ?? 'absent'})${
      loopbackConnection ? ' nor a loopback origin' : ''
    } and not in authentication.allowedOrigins`,
  };
}

function normalizeOrigin(o: string): string {
  return o.replace(/\/$/u, '').toLowerCase();
}

/** The Host header as URL.host would write it for `protocol` (the default port dropped). */
function sameOriginHost(protocol: string, host: string): string | undefined {
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return undefined;
  }
}

function hostnameOf(host: string): string {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return host;
  }
}

function isLoopbackName(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || isLoopbackAddress(hostname.replace(/^\[|\]$/gu, ''));
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1';
}
