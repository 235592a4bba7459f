// egress.destinations: non-LLM services the pod may reach, each with its region. Validation
// names the field path; the decision treats them like the forward proxy treats upstreams.
import { expect } from 'chai';
import { formatPath } from '../../policy/problems.ts';
import { validatePolicy } from '../../policy/validate.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import { decidePassThrough } from '../../sidecar/egress/decide.ts';

function doc(destinations: unknown, upstreams: unknown[] = [{ name: 'aoai', url: 'https://contoso-weu.openai.azure.com', region: 'westeurope' }]): Record<string, unknown> {
  return {
    apiVersion: 'mcpresidency.io/v1alpha1',
    kind: 'MCPResidencyPolicy',
    metadata: { name: 'p' },
    spec: { authentication: { mode: 'none' }, egress: { allowedRegions: ['eu'], upstreams, destinations } },
  };
}

function problems(destinations: unknown): string[] {
  return validatePolicy(doc(destinations))
    .problems.filter((p) => p.severity === 'error')
    .map((p) => `${formatPath(p.segments)}: ${p.message}`);
}

function policy(destinations: unknown[], tunnels: 'allow' | 'deny' = 'allow'): ResolvedPolicy {
  const d = doc(destinations);
  ((d.spec as Record<string, unknown>).egress as Record<string, unknown>).tunnels = tunnels;
  const v = validatePolicy(d);
  if (v.policy === undefined) throw new Error(JSON.stringify(v.problems));
  return v.policy;
}

describe('capture: egress.destinations', () => {
  it('resolves with defaults: port 443, no private addresses', () => {
    expect(policy([{ host: 'api.crm.example', region: 'westeurope' }]).egress.destinations).to.deep.equal([
      { host: 'api.crm.example', region: 'westeurope', port: 443, allowPrivateAddresses: false },
    ]);
    expect(policy([]).egress.destinations).to.deep.equal([]);
  });

  it('refuses bad entries with the field path', () => {
    const cases: Array<[unknown, RegExp]> = [
      [[{ host: 'API.crm.example', region: 'westeurope' }], /^spec\.egress\.destinations\[0\]\.host: .*DNS subdomain/u],
      [[{ host: '10.0.0.1', region: 'westeurope' }], /^spec\.egress\.destinations\[0\]\.host: "10\.0\.0\.1" is an IP address/u],
      [[{ host: 'a.example', region: 'mars-1' }], /^spec\.egress\.destinations\[0\]\.region: "mars-1" is not a known region/u],
      [[{ host: 'a.example' }], /^spec\.egress\.destinations\[0\]\.region: is required/u],
      [[{ host: 'a.example', region: 'westeurope', port: 0 }], /^spec\.egress\.destinations\[0\]\.port: 0 is below the minimum of 1/u],
      [[{ host: 'a.example', region: 'westeurope', ports: [443] }], /^spec\.egress\.destinations\[0\]\.ports: unknown field; did you mean "port"\?/u],
      [
        [
          { host: 'a.example', region: 'westeurope' },
          { host: 'a.example', region: 'northeurope' },
        ],
        /^spec\.egress\.destinations\[1\]\.host: duplicate "a\.example" \(already at index 0\)/u,
      ],
      [[{ host: 'contoso-weu.openai.azure.com', region: 'westeurope' }], /^spec\.egress\.destinations\[0\]\.host: .*already the host of upstreams\[0\]/u],
      [[{ host: 'bedrock-runtime.eu-central-1.amazonaws.com', region: 'westeurope' }], /^spec\.egress\.destinations\[0\]\.region: "westeurope" contradicts the host/u],
    ];
    for (const [destinations, message] of cases) expect(problems(destinations), JSON.stringify(destinations)).to.satisfy((ps: string[]) => ps.some((p) => message.test(p)));
  });

  it('warns about a destination outside allowedRegions', () => {
    const v = validatePolicy(doc([{ host: 'api.crm.example', region: 'eastus' }]));
    expect(v.policy).to.not.equal(undefined);
    expect(v.problems.map((p) => `${formatPath(p.segments)}: ${p.message}`)).to.include(
      'spec.egress.destinations[0].region: eastus (Azure, East US, US) is outside allowedRegions, so every connection to api.crm.example will be refused',
    );
  });

  it('decides like CONNECT: known host, region, declared port; egress.tunnels applies to upstreams only', () => {
    const p = policy([
      { host: 'api.crm.example', region: 'westeurope', port: 8443 },
      { host: 'api.us-crm.example', region: 'eastus' },
    ]);
    const gw = 'http://127.0.0.1:15081';
    expect(decidePassThrough(p, 'api.crm.example', undefined, gw)).to.deep.include({ ok: true });
    const allowed = decidePassThrough(p, 'API.crm.example.', 8443, gw);
    expect(allowed.ok && allowed.pass).to.deep.include({ destination: 'api.crm.example:8443', host: 'api.crm.example', port: 8443, region: 'westeurope', upstream: undefined });
    const wrongPort = decidePassThrough(p, 'api.crm.example', 443, gw);
    expect(!wrongPort.ok && wrongPort.denial).to.deep.include({ destination: 'api.crm.example:443', region: 'unknown' });
    const us = decidePassThrough(p, 'api.us-crm.example', undefined, gw);
    expect(!us.ok && us.denial).to.deep.include({ type: 'egress_denied', region: 'eastus', destination: 'api.us-crm.example:443' });
    const plainHttp = decidePassThrough(p, 'contoso-weu.openai.azure.com', 80, gw);
    expect(!plainHttp.ok && plainHttp.denial).to.deep.include({ upstream: 'aoai', destination: 'contoso-weu.openai.azure.com:80' });
    expect(!plainHttp.ok && plainHttp.denial.message).to.include('upstream aoai is reached at https://contoso-weu.openai.azure.com, not on this port');
    const upstream = decidePassThrough(p, 'contoso-weu.openai.azure.com', undefined, gw);
    expect(upstream.ok && upstream.pass).to.deep.include({ destination: 'contoso-weu.openai.azure.com:443', region: 'westeurope', port: 443 });
    const denied = policy([{ host: 'api.crm.example', region: 'westeurope' }], 'deny');
    expect(decidePassThrough(denied, 'api.crm.example', undefined, gw).ok).to.equal(true);
    const tunnel = decidePassThrough(denied, 'contoso-weu.openai.azure.com', undefined, gw);
    expect(!tunnel.ok && tunnel.denial).to.deep.include({ type: 'tunnel_denied', route: `${gw}/aoai/` });
  });
});
