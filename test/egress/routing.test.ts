import { expect } from 'chai';
import { validatePolicy } from '../../policy/validate.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import { decideRequest, decideTunnel } from '../../sidecar/egress/decide.ts';
import { regionAllowed } from '../../sidecar/egress/region.ts';
import { namedRoutePath, parseAuthority, parseTarget } from '../../sidecar/egress/routes.ts';
import { framingProblem } from '../../sidecar/egress/smuggling.ts';

function policy(tunnels: 'allow' | 'deny' = 'allow'): ResolvedPolicy {
  const v = validatePolicy({
    apiVersion: 'mcpresidency.io/v1alpha1',
    kind: 'MCPResidencyPolicy',
    metadata: { name: 'p' },
    spec: {
      authentication: { mode: 'none' },
      egress: {
        allowedRegions: ['eu', 'openai-eu'],
        tunnels,
        upstreams: [
          { name: 'aoai', url: 'https://contoso-weu.openai.azure.com/openai', region: 'westeurope' },
          { name: 'openai-eu', url: 'https://eu.api.openai.com', region: 'openai-eu' },
          { name: 'openai', url: 'https://api.openai.com', region: 'openai-global' },
          { name: 'bedrock-us', url: 'https://bedrock-runtime.us-east-1.amazonaws.com', region: 'us-east-1' },
        ],
      },
    },
  });
  if (v.policy === undefined) throw new Error(JSON.stringify(v.problems));
  return v.policy;
}

describe('egress: routes and decisions', () => {
  it('parses named routes, keeping the path and query, refusing dot segments', () => {
    expect(parseTarget('/aoai/deployments/x/chat/completions?api-version=2024-10-21')).to.deep.equal({ kind: 'named', name: 'aoai', path: '/deployments/x/chat/completions?api-version=2024-10-21' });
    expect(parseTarget('/aoai')).to.deep.equal({ kind: 'named', name: 'aoai', path: '' });
    expect(parseTarget('/aoai?x=1')).to.deep.equal({ kind: 'named', name: 'aoai', path: '?x=1' });
    expect(parseTarget('/aoai/../admin').kind).to.equal('invalid');
    expect(parseTarget('/aoai/%2e%2E/admin').kind).to.equal('invalid');
    expect(parseTarget('/aoai/a%2fb').kind).to.equal('invalid');
    expect(parseTarget('*').kind).to.equal('invalid');
    expect(parseTarget('http://api.openai.com/v1/models').kind).to.equal('absolute');
  });

  it('refuses ..;/ and ..# in both forms, and keeps a proxy request inside the upstream base path (issue 19)', () => {
    for (const target of ['/aoai/..;/admin', '/aoai/..;x=1/admin', '/aoai/%2e%2e%3b/admin', '/aoai/..#/admin', '/aoai/x#frag']) {
      expect(parseTarget(target).kind, target).to.equal('invalid');
    }
    for (const target of ['http://contoso-weu.openai.azure.com/openai/../admin', 'http://contoso-weu.openai.azure.com/openai/..;/admin', 'http://contoso-weu.openai.azure.com/openai/..#/x']) {
      expect(parseTarget(target).kind, target).to.equal('invalid');
    }
    // The URL parser would have resolved /openai/../admin to /admin: outside the base path, no upstream.
    const outside = decideRequest(policy(), parseTarget('http://contoso-weu.openai.azure.com/admin'));
    expect(outside.ok).to.equal(false);
    const inside = decideRequest(policy(), parseTarget('http://contoso-weu.openai.azure.com/openai/deployments/x'));
    expect(inside.ok && inside.route.path).to.equal('/openai/deployments/x');
  });

  it('joins the upstream base path and the route path', () => {
    const p = policy();
    const aoai = p.egress.upstreams[0]!;
    expect(namedRoutePath(aoai, '/deployments/x/chat/completions?api-version=1')).to.equal('/openai/deployments/x/chat/completions?api-version=1');
    expect(namedRoutePath(aoai, '')).to.equal('/openai');
    expect(namedRoutePath(p.egress.upstreams[1]!, '')).to.equal('/');
  });

  it('expands geographies: westeurope is in eu; openai-global and us-east-1 are not', () => {
    expect(regionAllowed('westeurope', ['eu'])).to.equal(true);
    expect(regionAllowed('swedencentral', ['eea'])).to.equal(true);
    expect(regionAllowed('openai-global', ['eu'])).to.equal(false);
    expect(regionAllowed('us-east-1', ['eu'])).to.equal(false);
  });

  it('decides named routes and proxy requests the same way', () => {
    const p = policy();
    const ok = decideRequest(p, parseTarget('/aoai/deployments/x/chat/completions'));
    expect(ok.ok && ok.route.path).to.equal('/openai/deployments/x/chat/completions');
    const proxy = decideRequest(p, parseTarget('http://eu.api.openai.com/v1/chat/completions'));
    expect(proxy.ok && proxy.route.upstream.name).to.equal('openai-eu');
    const denied = decideRequest(p, parseTarget('/openai/v1/chat/completions'));
    expect(denied.ok).to.equal(false);
    if (!denied.ok) {
      expect(denied.status).to.equal(403);
      expect(denied.denial).to.include({ destination: 'api.openai.com', region: 'openai-global', upstream: 'openai' });
      expect(denied.denial.allowedRegions).to.deep.equal(['eu', 'openai-eu']);
    }
    const unknown = decideRequest(p, parseTarget('http://bedrock-runtime.eu-west-1.amazonaws.com/model/x/invoke'));
    expect(!unknown.ok && unknown.denial).to.include({ destination: 'bedrock-runtime.eu-west-1.amazonaws.com', region: 'eu-west-1' });
    const nowhere = decideRequest(p, parseTarget('http://example.com/'));
    expect(!nowhere.ok && nowhere.denial.region).to.equal('unknown');
    expect(decideRequest(p, parseTarget('/nope/x')).ok).to.equal(false);
    expect(decideRequest(p, parseTarget('http://eu.api.openai.com:8443/')).ok).to.equal(false);
  });

  it('decides tunnels: allowed upstream host and port only; tunnels: deny names the route', () => {
    expect(parseAuthority('eu.api.openai.com:443')).to.deep.equal({ host: 'eu.api.openai.com', port: 443 });
    expect(parseAuthority('[::1]:443')).to.deep.equal({ host: '::1', port: 443 });
    expect(parseAuthority('eu.api.openai.com')).to.equal(undefined);
    expect(decideTunnel(policy(), 'eu.api.openai.com', 443, 'http://127.0.0.1:15081').ok).to.equal(true);
    expect(decideTunnel(policy(), 'eu.api.openai.com', 8443, 'http://127.0.0.1:15081').ok).to.equal(false);
    expect(decideTunnel(policy(), 'api.openai.com', 443, 'http://127.0.0.1:15081').ok).to.equal(false);
    const d = decideTunnel(policy('deny'), 'eu.api.openai.com', 443, 'http://127.0.0.1:15081');
    expect(!d.ok && d.denial).to.include({ type: 'tunnel_denied', route: 'http://127.0.0.1:15081/openai-eu/' });
  });

  it('finds ambiguous framing in raw headers', () => {
    expect(framingProblem(['Host', 'x', 'Content-Length', '5'])).to.equal(undefined);
    expect(framingProblem(['Transfer-Encoding', 'chunked'])).to.equal(undefined);
    expect(framingProblem(['Content-Length', '5', 'Content-Length', '5'])).to.include('more than one Content-Length');
    expect(framingProblem(['Content-Length', '5', 'Transfer-Encoding', 'chunked'])).to.include('both');
    expect(framingProblem(['Transfer-Encoding', 'gzip, chunked'])).to.include('only chunked');
    expect(framingProblem(['Content-Length', '+5'])).to.include('plain number');
  });
});
