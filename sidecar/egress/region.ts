// Residency decisions: is a destination's region inside the policy's allowedRegions (regions
// and geographies, expanded), and the 403 body that tells the application why not. Pure.
import { describeRegion, expandRegions } from '../../policy/regions.ts';
import { regionOfHost } from '../../policy/provider-endpoints.ts';
import type { ResolvedDestination, ResolvedUpstream } from '../../policy/types.ts';

/** The region shown for a destination that is no declared upstream. */
export const UNKNOWN_REGION = 'unknown';

// Policies are immutable and swapped whole, so the expansion is computed once per policy.
const expanded = new WeakMap<readonly string[], ReadonlySet<string>>();

export function allowedRegionSet(allowedRegions: readonly string[]): ReadonlySet<string> {
  let set = expanded.get(allowedRegions);
  if (set === undefined) {
    set = expandRegions(allowedRegions);
    expanded.set(allowedRegions, set);
  }
  return set;
}

export function regionAllowed(region: string, allowedRegions: readonly string[]): boolean {
  return allowedRegionSet(allowedRegions).has(region);
}

/** The region a destination that is no upstream would be in, when its host name tells it. */
export function regionOfUnknownHost(host: string): string {
  return regionOfHost(host)?.region ?? UNKNOWN_REGION;
}

export interface Denial {
  /** Machine-readable: egress_denied, tunnel_denied, ... */
  readonly type: string;
  readonly message: string;
  readonly destination: string;
  readonly upstream?: string;
  readonly region: string;
  readonly regionDescription: string;
  readonly allowedRegions: readonly string[];
  /** For tunnel refusals: the named route to use instead. */
  readonly route?: string;
}

/** An upstream whose region the policy does not allow. */
export function regionDenial(upstream: ResolvedUpstream, destination: string, allowedRegions: readonly string[]): Denial {
  return {
    type: 'egress_denied',
    message:
      `egress to ${destination} (upstream ${upstream.name}) is refused: its region ${describeRegion(upstream.region)} ` +
      `is not in the policy's allowedRegions [${allowedRegions.join(', ')}]; nothing was sent`,
    destination,
    upstream: upstream.name,
    region: upstream.region,
    regionDescription: describeRegion(upstream.region),
    allowedRegions,
  };
}

/** A declared non-LLM destination (egress.destinations) whose region the policy does not allow. */
export function destinationRegionDenial(declared: ResolvedDestination, destination: string, allowedRegions: readonly string[]): Denial {
  return {
    type: 'egress_denied',
    message:
      `egress to ${destination} (a declared destination) is refused: its region ${describeRegion(declared.region)} ` +
      `is not in the policy's allowedRegions [${allowedRegions.join(', ')}]; nothing was sent`,
    destination,
    region: declared.region,
    regionDescription: describeRegion(declared.region),
    allowedRegions,
  };
}

/** A destination the policy declares neither as an upstream nor in egress.destinations. */
export function unknownDestinationDenial(destination: string, host: string, allowedRegions: readonly string[]): Denial {
  const region = regionOfUnknownHost(host);
  return {
    type: 'egress_denied',
    message:
      `egress to ${destination} is refused: it is neither an upstream nor a declared destination of the policy` +
      `${region === UNKNOWN_REGION ? '' : ` (its host is in ${describeRegion(region)})`}; ` +
      `only upstreams and destinations in allowedRegions [${allowedRegions.join(', ')}] are reachable; nothing was sent`,
    destination,
    region,
    regionDescription: region === UNKNOWN_REGION ? 'region unknown: not a declared upstream' : describeRegion(region),
    allowedRegions,
  };
}

/** The JSON body of a refusal, shaped like the providers' own errors so SDKs show the message. */
export function denialBody(denial: Denial): { error: Denial } {
  return { error: denial };
}
