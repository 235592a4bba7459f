// The policy decision of an egress request, before any I/O: which upstream it reaches and
// whether its region is allowed. Named routes, forward-proxy requests and CONNECT tunnels all
// end here, so a destination is judged the same however it is asked for. Pure.
import { describeRegion } from '../../policy/regions.ts';
import type { ResolvedPolicy, ResolvedUpstream } from '../../policy/types.ts';
import { destinationRegionDenial, regionAllowed, regionDenial, unknownDestinationDenial, type Denial } from './region.ts';
import { bareHost, effectivePort, namedRoutePath, upstreamByName, upstreamForAuthority, upstreamForUrl, upstreamUrl, type Target } from './routes.ts';

export interface Route {
  readonly upstream: ResolvedUpstream;
  /** Path and query on the upstream. */
  readonly path: string;
  /** host[:port] of the upstream, as recorded and shown. */
  readonly destination: string;
  /** How the application asked: through a named route or as a forward proxy. */
  readonly via: 'named' | 'proxy';
}

export type RouteDecision = { readonly ok: true; readonly route: Route } | { readonly ok: false; readonly status: 400 | 403; readonly denial: Denial };

export function decideRequest(policy: ResolvedPolicy, target: Target): RouteDecision {
  const { upstreams, allowedRegions } = policy.egress;
  if (target.kind === 'invalid') {
    return {
      ok: false,
      status: 400,
      denial: { type: 'invalid_request', message: target.reason, destination: '', region: 'unknown', regionDescription: 'not applicable', allowedRegions },
    };
  }
  let upstream: ResolvedUpstream | undefined;
  let path: string;
  if (target.kind === 'named') {
    upstream = upstreamByName(upstreams, target.name);
    if (upstream === undefined) return { ok: false, status: 403, denial: unknownDestinationDenial(`/${target.name}`, '', allowedRegions) };
    path = namedRoutePath(upstream, target.path);
  } else {
    upstream = upstreamForUrl(upstreams, target.url);
    if (upstream === undefined) return { ok: false, status: 403, denial: unknownDestinationDenial(target.url.host, bareHost(target.url.hostname), allowedRegions) };
    path = `${target.url.pathname}${target.url.search}`;
  }
  const destination = upstreamUrl(upstream).host;
  if (!regionAllowed(upstream.region, allowedRegions)) return { ok: false, status: 403, denial: regionDenial(upstream, destination, allowedRegions) };
  return { ok: true, route: { upstream, path, destination, via: target.kind === 'named' ? 'named' : 'proxy' } };
}

/** gateway: the origin the application reached the gateway at, for the route it should use instead. */
export function decideTunnel(policy: ResolvedPolicy, host: string, port: number, gateway: string): RouteDecision {
  const { upstreams, allowedRegions, tunnels } = policy.egress;
  const authority = authorityOf(host, port);
  const upstream = upstreamForAuthority(upstreams, host, port);
  if (upstream === undefined) return { ok: false, status: 403, denial: unknownDestinationDenial(authority, host, allowedRegions) };
  if (!regionAllowed(upstream.region, allowedRegions)) return { ok: false, status: 403, denial: regionDenial(upstream, authority, allowedRegions) };
  if (tunnels === 'deny') {
    const route = `${gateway}/${upstream.name}/`;
    return {
      ok: false,
      status: 403,
      denial: {
        ...regionDenial(upstream, authority, allowedRegions),
        type: 'tunnel_denied',
        message:
          `CONNECT tunnels are forbidden by the policy (egress.tunnels: deny): a tunnel is encrypted end to end and cannot be masked. ` +
          `Send the request to the named route ${route}<path> instead (plain http to the gateway; it adds the credential and calls ${upstream.url} over TLS)`,
        route,
      },
    };
  }
  return { ok: true, route: { upstream, path: '', destination: authority, via: 'proxy' } };
}

/** A connection passed through unread (CONNECT, or captured by the transparent listener), once allowed. */
export interface PassThrough {
  /** host:port, as recorded and shown. */
  readonly destination: string;
  readonly host: string;
  /** The port connected to: the dialled one when known, else the one the policy declares. */
  readonly port: number;
  readonly region: string;
  /** The LLM upstream reached, or undefined for a declared non-LLM destination. */
  readonly upstream: ResolvedUpstream | undefined;
  readonly allowPrivateAddresses: boolean;
}

export type PassDecision = { readonly ok: true; readonly pass: PassThrough } | { readonly ok: false; readonly status: 400 | 403; readonly denial: Denial };

/**
 * The decision for a connection whose content stays unread: an upstream is judged as a CONNECT
 * tunnel (region, then egress.tunnels); a declared destination by its region. `port` is
 * undefined when the application's port is unknown (a TLS connection captured by the
 * transparent listener): the host alone then picks the entry, and its declared port is used.
 */
export function decidePassThrough(policy: ResolvedPolicy, host: string, port: number | undefined, gateway: string): PassDecision {
  const { upstreams, destinations, allowedRegions } = policy.egress;
  const h = bareHost(host);
  const upstream = port === undefined ? upstreams.find((u) => bareHost(upstreamUrl(u).hostname) === h) : upstreamForAuthority(upstreams, h, port);
  if (upstream !== undefined) {
    const p = port ?? effectivePort(upstreamUrl(upstream));
    const tunnel = decideTunnel(policy, h, p, gateway);
    if (!tunnel.ok) return tunnel;
    return { ok: true, pass: { destination: tunnel.route.destination, host: h, port: p, region: upstream.region, upstream, allowPrivateAddresses: upstream.allowPrivateAddresses } };
  }
  const declared = destinations.find((d) => d.host === h && (port === undefined || d.port === port));
  if (declared === undefined) {
    const onHost = upstreams.find((u) => bareHost(upstreamUrl(u).hostname) === h);
    if (onHost !== undefined && port !== undefined) return { ok: false, status: 403, denial: wrongPortDenial(onHost, authorityOf(h, port), allowedRegions) };
    return { ok: false, status: 403, denial: unknownDestinationDenial(port === undefined ? h : authorityOf(h, port), h, allowedRegions) };
  }
  const destination = authorityOf(h, declared.port);
  if (!regionAllowed(declared.region, allowedRegions)) return { ok: false, status: 403, denial: destinationRegionDenial(declared, destination, allowedRegions) };
  return { ok: true, pass: { destination, host: h, port: declared.port, region: declared.region, upstream: undefined, allowPrivateAddresses: declared.allowPrivateAddresses } };
}

/** A known upstream asked for on another port (typically plain http to an https provider). */
function wrongPortDenial(upstream: ResolvedUpstream, destination: string, allowedRegions: readonly string[]): Denial {
  const url = upstreamUrl(upstream);
  return {
    ...regionDenial(upstream, destination, allowedRegions),
    message:
      `egress to ${destination} is refused: upstream ${upstream.name} is reached at ${url.protocol}//${url.host}, not on this port; ` +
      `nothing was sent`,
  };
}

/** What an allowed pass-through reaches, for its audit reason. */
export function passReason(pass: PassThrough): string {
  return pass.upstream === undefined
    ? `declared destination ${pass.host} in allowed region ${pass.region}`
    : `upstream ${pass.upstream.name} in allowed region ${pass.region}`;
}

export function authorityOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A destination whose addresses the SSRF check refused. */
export function ssrfDenial(where: { readonly destination: string; readonly region: string; readonly upstream?: string | undefined }, reason: string, allowedRegions: readonly string[]): Denial {
  return {
    type: 'egress_denied',
    message: `egress to ${where.destination}${where.upstream === undefined ? '' : ` (upstream ${where.upstream})`} is refused: ${reason}; nothing was sent`,
    destination: where.destination,
    ...(where.upstream === undefined ? {} : { upstream: where.upstream }),
    region: where.region,
    regionDescription: describeRegion(where.region),
    allowedRegions,
  };
}
