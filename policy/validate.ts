// Validation of an MCPResidencyPolicy object: the envelope, the structure (structure.ts, from
// the schema) and then the rules a schema cannot say. `policy validate`, the sidecar, the
// operator and the admission webhook all call validatePolicy(), so a policy means the same
// thing everywhere and is refused with the same words everywhere.
import { isIP } from 'node:net';
import { BUILTIN_TYPES } from './builtin-detectors.ts';
import { resolvePolicy } from './defaults.ts';
import { compileGlob, GlobSyntaxError } from './glob.ts';
import { JsonPathSyntaxError, parseJsonPath } from './jsonpath.ts';
import { type PathSegment, type Problem, ProblemList, show } from './problems.ts';
import { regionOfHost } from './provider-endpoints.ts';
import { describeRegion, expandRegions, isKnownRegion, isKnownRegionOrGeography, suggestRegions } from './regions.ts';
import { unsafeRegexReason } from './safe-regex.ts';
import type { TSchema } from 'typebox';
import { API_GROUP, API_VERSION, DNS_LABEL, DNS_SUBDOMAIN, POLICY_KIND } from './names.ts';
// The spec's schema as plain JSON, generated from schema.ts by `make crds` (a test fails when it
// is stale): checking a policy needs the schema, not the TypeBox builder that wrote it, which
// would add hundreds of modules to every sidecar.
import specSchema from './spec-schema.json' with { type: 'json' };

const PolicySpecSchema = specSchema as unknown as TSchema;
import { checkStructure } from './structure.ts';
import { didYouMean } from './suggest.ts';
import type { PolicyObject, PolicySpec, ResolvedPolicy } from './types.ts';

export interface PolicyValidation {
  readonly problems: readonly Problem[];
  /** Set when there are no errors (warnings allowed). */
  readonly policy: ResolvedPolicy | undefined;
}

export const POLICY_API_VERSION = `${API_GROUP}/${API_VERSION}`;

/** Headers a credential must not replace: they frame the request or route it. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-connection', 'content-type']);

export function validatePolicy(input: unknown): PolicyValidation {
  const problems = new ProblemList();
  const obj = dropNulls(input);
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    problems.error([], `a policy must be a map with apiVersion, kind, metadata and spec, got ${show(obj)}`);
    return { problems: problems.items, policy: undefined };
  }
  const doc = obj as Record<string, unknown>;
  checkEnvelope(doc, problems);
  if (doc.spec === undefined) problems.error(['spec'], 'is required');
  else checkStructure(PolicySpecSchema, doc.spec, ['spec'], problems);
  if (doc.spec !== undefined && problems.items.every((p) => p.segments[0] !== 'spec' || p.segments.length > 1)) {
    // Semantic rules run on every section whose structure is sound, so one run reports as
    // much as it can instead of one layer of problems at a time.
    const broken = new Set(problems.items.map((p) => p.segments[1]));
    checkSemantics((doc as unknown as PolicyObject).spec, broken, problems);
  }
  const policy = problems.hasErrors ? undefined : resolvePolicy(doc as unknown as PolicyObject);
  return { problems: problems.items, policy };
}

function checkEnvelope(doc: Record<string, unknown>, problems: ProblemList): void {
  if (doc.apiVersion !== POLICY_API_VERSION) {
    problems.error(['apiVersion'], `must be ${show(POLICY_API_VERSION)}, got ${show(doc.apiVersion)}`);
  }
  if (doc.kind !== POLICY_KIND) problems.error(['kind'], `must be ${show(POLICY_KIND)}, got ${show(doc.kind)}`);
  const meta = doc.metadata;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    problems.error(['metadata'], 'is required and must be a map with at least a name');
    return;
  }
  const { name, namespace } = meta as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') problems.error(['metadata', 'name'], 'is required');
  else if (name.length > 253 || !new RegExp(DNS_SUBDOMAIN, 'u').test(name)) {
    problems.error(['metadata', 'name'], `${show(name)} must be a DNS subdomain name: lowercase letters, digits, "-" and "."`);
  }
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.length > 63 || !new RegExp(DNS_LABEL, 'u').test(namespace))) {
    problems.error(['metadata', 'namespace'], `${show(namespace)} must be a DNS label: lowercase letters, digits and "-"`);
  }
}

function checkSemantics(spec: PolicySpec, broken: ReadonlySet<PathSegment | undefined>, problems: ProblemList): void {
  if (!broken.has('authentication')) checkAuthentication(spec, problems);
  if (!broken.has('tools') && !broken.has('approval')) checkTools(spec, problems);
  if (!broken.has('masking')) checkMasking(spec, problems);
  if (!broken.has('egress')) checkEgress(spec, problems);
}

function checkAuthentication(spec: PolicySpec, problems: ProblemList): void {
  const auth = spec.authentication;
  const at = (...p: PathSegment[]): PathSegment[] => ['spec', 'authentication', ...p];
  if ((auth.mode ?? 'oidc') === 'oidc') {
    if (auth.issuer === undefined) problems.error(at('issuer'), 'is required when authentication.mode is oidc (the default); set it, or set mode: none explicitly');
    else checkServiceUrl(auth.issuer, at('issuer'), problems);
    if (auth.audiences === undefined || auth.audiences.length === 0) {
      problems.error(at('audiences'), 'must list at least one audience when authentication.mode is oidc, usually the URL agents use for this MCP server');
    }
    if (auth.jwksUri !== undefined) checkServiceUrl(auth.jwksUri, at('jwksUri'), problems);
  } else {
    const leftovers = (['issuer', 'jwksUri', 'audiences', 'requiredScopes'] as const).filter((k) => auth[k] !== undefined);
    if (leftovers.length > 0) {
      problems.error(at('mode'), `is none, which turns authentication off, but ${leftovers.join(', ')} ${leftovers.length > 1 ? 'are' : 'is'} set; remove ${leftovers.length > 1 ? 'them' : 'it'} or use mode: oidc`);
    } else {
      problems.warning(at('mode'), 'is none: any caller that reaches the sidecar can use every allowed tool');
    }
  }
  auth.allowedOrigins?.forEach((origin, i) => {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      // reported below
    }
    if (url === undefined || url.origin !== origin.replace(/\/$/u, '') || url.origin === 'null') {
      problems.error(at('allowedOrigins', i), `${show(origin)} is not an origin; write scheme://host[:port], e.g. https://chat.example.com`);
    }
  });
}

function checkTools(spec: PolicySpec, problems: ProblemList): void {
  const rules = spec.tools?.rules ?? [];
  let catchAll: number | undefined;
  rules.forEach((rule, i) => {
    const at = ['spec', 'tools', 'rules', i];
    try {
      compileGlob(rule.name);
    } catch (err) {
      if (!(err instanceof GlobSyntaxError)) throw err;
      problems.error([...at, 'name'], `invalid glob: ${err.message}`);
    }
    if (catchAll !== undefined) {
      problems.error(at, `is never used: rules[${catchAll}] matches every tool for every caller first`);
    } else if (/^\*+$/u.test(rule.name) && rule.groups === undefined) {
      catchAll = i;
    }
    if (rule.groups?.length === 0) problems.error([...at, 'groups'], 'is empty, so the rule matches nobody; omit groups to match everyone');
  });
  const approveAt = rules.findIndex((r) => r.action === 'approve');
  if (approveAt >= 0 && spec.approval === undefined) {
    problems.error(['spec', 'approval'], `is required because tools.rules[${approveAt}] has action approve: set approval.approverGroups`);
  }
  const pinning = spec.tools?.pinning ?? 'off';
  if (approveAt < 0 && spec.approval !== undefined && pinning === 'off') {
    problems.warning(['spec', 'approval'], 'is set but no tools rule has action approve and tools.pinning is off, so nothing is ever held');
  }
  if (pinning !== 'off' && spec.approval === undefined) {
    problems.warning(['spec', 'tools', 'pinning'], `is ${pinning} but approval.approverGroups is not set, so a changed tool can only be pinned in tools.pins`);
  }
}

function checkMasking(spec: PolicySpec, problems: ProblemList): void {
  const masking = spec.masking ?? {};
  const at = (...p: PathSegment[]): PathSegment[] => ['spec', 'masking', ...p];
  if (masking.mode === 'pseudonymize' && masking.keySecret === undefined) {
    problems.error(at('keySecret'), 'is required when mode is pseudonymize: it holds the HMAC key that makes tokens stable');
  }
  masking.custom?.forEach((custom, i) => {
    if (BUILTIN_TYPES.has(custom.name)) {
      problems.error(at('custom', i, 'name'), `${show(custom.name)} is a built-in type; choose another name`);
    }
    const reason = unsafeRegexReason(custom.pattern);
    if (reason !== undefined) problems.error(at('custom', i, 'pattern'), reason);
  });
  masking.fields?.forEach((field, i) => {
    try {
      parseJsonPath(field);
    } catch (err) {
      if (!(err instanceof JsonPathSyntaxError)) throw err;
      problems.error(at('fields', i), `invalid JSONPath: ${err.message}`);
    }
  });
}

function checkEgress(spec: PolicySpec, problems: ProblemList): void {
  const egress = spec.egress ?? {};
  const allowed = egress.allowedRegions ?? [];
  allowed.forEach((name, i) => {
    if (!isKnownRegionOrGeography(name)) {
      problems.error(['spec', 'egress', 'allowedRegions', i], `${show(name)} is not a known region or geography${didYouMean(suggestRegions(name))}`);
    }
  });
  const allowedSet = expandRegions(allowed);
  egress.upstreams?.forEach((up, i) => {
    const at = (...p: PathSegment[]): PathSegment[] => ['spec', 'egress', 'upstreams', i, ...p];
    const url = checkServiceUrl(up.url, at('url'), problems);
    if (!isKnownRegion(up.region)) {
      problems.error(at('region'), `${show(up.region)} is not a known region${didYouMean(suggestRegions(up.region))}`);
    } else if (url !== undefined) {
      const known = regionOfHost(url.hostname);
      if (known?.region !== undefined && known.region !== up.region) {
        problems.error(at('region'), `${show(up.region)} contradicts the host ${url.hostname}, which is ${describeRegion(known.region)} (${known.rule})`);
      } else if (!allowedSet.has(up.region)) {
        problems.warning(at('region'), `${describeRegion(up.region)} is outside allowedRegions, so every call to this upstream will be refused`);
      }
    }
    const header = up.credential?.header;
    if (header !== undefined && RESERVED_HEADERS.has(header.toLowerCase())) {
      problems.error(at('credential', 'header'), `${show(header)} frames or routes the request; a credential cannot use it`);
    }
    const c = up.credential;
    if (c !== undefined) {
      if (c.workloadIdentity !== undefined && (c.secretName !== undefined || c.key !== undefined)) {
        problems.error(at('credential', 'workloadIdentity'), 'give either secretName and key, or workloadIdentity, not both');
      } else if (c.workloadIdentity === undefined) {
        if (c.secretName === undefined) problems.error(at('credential', 'secretName'), 'is required (or workloadIdentity instead of secretName and key)');
        if (c.key === undefined) problems.error(at('credential', 'key'), 'is required (or workloadIdentity instead of secretName and key)');
      }
    }
  });
  checkDestinations(egress, allowedSet, problems);
}

/** egress.destinations: named services with a known region, none of them an upstream's host. */
function checkDestinations(egress: NonNullable<PolicySpec['egress']>, allowedSet: ReadonlySet<string>, problems: ProblemList): void {
  const upstreamHosts = new Map<string, number>();
  egress.upstreams?.forEach((up, i) => {
    try {
      upstreamHosts.set(new URL(up.url).hostname.toLowerCase(), i);
    } catch {
      // reported at the upstream's url
    }
  });
  egress.destinations?.forEach((d, i) => {
    const at = (...p: PathSegment[]): PathSegment[] => ['spec', 'egress', 'destinations', i, ...p];
    const host = d.host.toLowerCase();
    if (isIP(host) !== 0 || /^[0-9.]+$/u.test(host)) {
      problems.error(at('host'), `${show(d.host)} is an IP address; declare the service's DNS name (it is matched against the TLS SNI or HTTP Host)`);
    }
    const upstream = upstreamHosts.get(host);
    if (upstream !== undefined) {
      problems.error(at('host'), `${show(d.host)} is already the host of upstreams[${upstream}]; an LLM provider is declared once, as an upstream (masked and credentialed)`);
    }
    if (!isKnownRegion(d.region)) {
      problems.error(at('region'), `${show(d.region)} is not a known region${didYouMean(suggestRegions(d.region))}`);
      return;
    }
    const known = regionOfHost(host);
    if (known?.region !== undefined && known.region !== d.region) {
      problems.error(at('region'), `${show(d.region)} contradicts the host ${host}, which is ${describeRegion(known.region)} (${known.rule})`);
    } else if (!allowedSet.has(d.region)) {
      problems.warning(at('region'), `${describeRegion(d.region)} is outside allowedRegions, so every connection to ${host} will be refused`);
    }
  });
}

/** https URLs, or http to a loopback address; no credentials, query or fragment in them. */
function checkServiceUrl(raw: string, path: PathSegment[], problems: ProblemList): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.error(path, `${show(raw)} is not an absolute URL`);
    return undefined;
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    problems.error(path, `${show(raw)} uses http; only https is allowed (http only for loopback addresses)`);
  } else if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    problems.error(path, `${show(raw)} must be an https URL`);
  } else if (url.username !== '' || url.password !== '') {
    problems.error(path, 'must not carry credentials; use credential with a Secret instead');
  } else if (url.search !== '' || url.hash !== '') {
    problems.error(path, `${show(raw)} must not have a query or fragment`);
  }
  return url;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/gu, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** The API server drops nulls of non-nullable fields; do the same so `key:` means absent. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
    return out;
  }
  return value;
}
