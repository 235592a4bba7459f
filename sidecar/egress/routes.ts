// Where a request on the egress port wants to go. Three shapes share the port:
//   /<upstream>/<path>?q             a named route, forwarded to <upstream.url>/<path>?q
//   http://host[:port]/<path>?q      a forward-proxy request (HTTP_PROXY)
//   CONNECT host:port                a forward-proxy tunnel (HTTPS_PROXY)
// Pure: strings in, the matching upstream (or why none) out.
import { isIP } from 'node:net';
import type { ResolvedUpstream } from '../../policy/types.ts';

export type Target =
  | { readonly kind: 'named'; readonly name: string; readonly path: string }
  | { readonly kind: 'absolute'; readonly url: URL }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Parses a request-target (RFC 9112 section 3.2) of a non-CONNECT request. */
export function parseTarget(raw: string): Target {
  if (raw.startsWith('/')) {
    const end = indexOfAny(raw, '/?', 1);
    const name = raw.slice(1, end < 0 ? raw.length : end);
    if (name === '') return { kind: 'invalid', reason: 'the path must start with an upstream name: /<upstream>/<path>' };
    const path = end < 0 ? '' : raw.slice(end);
    const problem = unsafePath(path);
    if (problem !== undefined) return { kind: 'invalid', reason: problem };
    return { kind: 'named', name, path };
  }
  if (/^https?:\/\//iu.test(raw)) {
    // The URL parser resolves dot segments before anyone sees them: check the raw path first.
    const pathStart = raw.indexOf('/', raw.indexOf('//') + 2);
    const problem = pathStart < 0 ? undefined : unsafePath(raw.slice(pathStart));
    if (problem !== undefined) return { kind: 'invalid', reason: problem };
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { kind: 'invalid', reason: 'the absolute request URI does not parse' };
    }
    if (url.username !== '' || url.password !== '') return { kind: 'invalid', reason: 'credentials in the request URI are not accepted' };
    return { kind: 'absolute', url };
  }
  return { kind: 'invalid', reason: 'the request target must be /<upstream>/<path> or an absolute http:// URI' };
}

/**
 * `..` and `.` segments (also percent-encoded, or followed by `;params` that servers such as
 * Tomcat strip) would let a route climb out of the upstream's base path once some server
 * normalizes them; backslashes are read as slashes by some; a fragment is never part of a
 * request, and a server that cuts it off may find a dot segment before it.
 */
function unsafePath(path: string): string | undefined {
  if (path.includes('#')) return 'a fragment (#) is not accepted in a request target';
  const q = path.indexOf('?');
  const pathname = q < 0 ? path : path.slice(0, q);
  if (pathname.includes('\\')) return 'backslashes are not accepted in the path';
  for (const segment of pathname.split('/')) {
    const s = segment.replace(/%2e/giu, '.').replace(/(?:;|%3b).*$/isu, '');
    if (s === '.' || s === '..') return 'dot segments (. and .., also with ;parameters) are not accepted in the path';
  }
  if (/%2f|%5c/iu.test(pathname)) return 'encoded slashes are not accepted in the path';
  return undefined;
}

function indexOfAny(s: string, chars: string, from: number): number {
  for (let i = from; i < s.length; i++) if (chars.includes(s[i]!)) return i;
  return -1;
}

export function upstreamByName(upstreams: readonly ResolvedUpstream[], name: string): ResolvedUpstream | undefined {
  return upstreams.find((u) => u.name === name);
}

// Upstream URLs are validated and immutable; parse each once.
const parsed = new WeakMap<ResolvedUpstream, URL>();

export function upstreamUrl(upstream: ResolvedUpstream): URL {
  let url = parsed.get(upstream);
  if (url === undefined) {
    url = new URL(upstream.url);
    parsed.set(upstream, url);
  }
  return url;
}

/** The host name without brackets or trailing dot, lower-cased: what DNS and the checks see. */
export function bareHost(hostname: string): string {
  let h = hostname.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

export function effectivePort(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** `<upstream.url>/<path>`: the base path kept, the route's path appended, the query kept. */
export function namedRoutePath(upstream: ResolvedUpstream, path: string): string {
  const base = upstreamUrl(upstream).pathname.replace(/\/+$/u, '');
  if (path === '' || path.startsWith('?')) return `${base === '' ? '/' : base}${path}`;
  return `${base}${path}`;
}

/**
 * The upstream a forward-proxy request for `url` goes to: same host, and either the upstream's
 * port or no port at all (an application speaking http:// to the proxy for an https upstream).
 * Only upstreams whose base path prefixes the request path qualify (as with a named route, which
 * cannot leave it); among those, the longest base path wins.
 */
export function upstreamForUrl(upstreams: readonly ResolvedUpstream[], url: URL): ResolvedUpstream | undefined {
  const host = bareHost(url.hostname);
  let best: ResolvedUpstream | undefined;
  let bestLength = -1;
  for (const u of upstreams) {
    const uu = upstreamUrl(u);
    if (bareHost(uu.hostname) !== host) continue;
    if (url.port !== '' && Number(url.port) !== effectivePort(uu)) continue;
    const base = uu.pathname.replace(/\/+$/u, '');
    // Like the named route: a request outside the upstream's base path reaches no upstream.
    if (!(base === '' || url.pathname === base || url.pathname.startsWith(`${base}/`))) continue;
    const length = base.length;
    if (best === undefined || length > bestLength) {
      best = u;
      bestLength = length;
    }
  }
  return best;
}

/** The upstream a CONNECT tunnel to host:port reaches: same host and port. */
export function upstreamForAuthority(upstreams: readonly ResolvedUpstream[], host: string, port: number): ResolvedUpstream | undefined {
  const h = bareHost(host);
  return upstreams.find((u) => {
    const uu = upstreamUrl(u);
    return bareHost(uu.hostname) === h && effectivePort(uu) === port;
  });
}

/** Parses a CONNECT request-target `host:port` (authority-form, `[v6]:port` for IPv6). */
export function parseAuthority(raw: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/@\s]+):(\d{1,5})$/u.exec(raw);
  if (m === null) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  const host = bareHost(m[1]!);
  if (m[1]!.startsWith('[') && isIP(host) !== 6) return undefined;
  return { host, port };
}

/**
 * A redirect to somewhere under the upstream's own base URL, rewritten onto its named route so
 * the application stays on the gateway; undefined for anywhere else (left as is: the
 * application's own request there, through the proxy, is judged like any other).
 */
export function namedLocation(location: string, upstream: ResolvedUpstream): string | undefined {
  const base = upstreamUrl(upstream);
  let target: URL;
  try {
    target = new URL(location, base);
  } catch {
    return undefined;
  }
  if (target.origin !== base.origin) return undefined;
  const prefix = base.pathname.replace(/\/+$/u, '');
  if (prefix !== '' && target.pathname !== prefix && !target.pathname.startsWith(`${prefix}/`)) return undefined;
  return `/${upstream.name}${target.pathname.slice(prefix.length)}${target.search}`;
}
