// The policy decision of an egress request, before any I/O: which upstream it reaches and
// whether its region is allowed. Named routes, forward-proxy requests and CONNECT tunnels all
// end here, so a destination is judged the same however it is asked for. Pure.
import { describeRegion } from '../../policy/regions.ts';
import type { ResolvedPolicy, ResolvedUpstream } from '../../policy/types.ts';
import { regionAllowed, regionDenial, unknownDestinationDenial, type Denial } from './region.ts';
import { bareHost, namedRoutePath, upstreamByName, upstreamForAuthority, upstreamForUrl, upstreamUrl, type Target } from './routes.ts';

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
  const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
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

/** A destination whose addresses the SSRF check refused. */
export function ssrfDenial(route: Route, reason: string, allowedRegions: readonly string[]): Denial {
  return {
    type: 'egress_denied',
    message: `egress to ${route.destination} (upstream ${route.upstream.name}) is refused: ${reason}; nothing was sent`,
    destination: route.destination,
    upstream: route.upstream.name,
    region: route.upstream.region,
    regionDescription: describeRegion(route.upstream.region),
    allowedRegions,
  };
}
