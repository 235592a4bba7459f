// undici and jose load on first use (issue 17). A part that fails to load must refuse, never
// pass: the token is not accepted, the call is not forwarded.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../support/cli.ts';

// Preloaded into a process of its own: resolving jose or undici fails there, as a missing or
// broken install would.
const BLOCK = `
import { registerHooks } from 'node:module';
registerHooks({ resolve(specifier, context, next) {
  if (specifier === 'jose' || specifier === 'undici') throw new Error('cannot load ' + specifier + ' (blocked by the test)');
  return next(specifier, context);
} });
`;

function runBlocked(script: string): unknown {
  const out = execFileSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(BLOCK)}`, '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  return JSON.parse(out.trim()) as unknown;
}

describe('lazily loaded parts fail closed', () => {
  it('a token is refused when jose cannot load', () => {
    const jwks = JSON.stringify(join(repoRoot, 'sidecar', 'inbound', 'auth', 'jwks.ts'));
    const verifier = JSON.stringify(join(repoRoot, 'sidecar', 'inbound', 'auth', 'verifier.ts'));
    const outcome = runBlocked(`
import { JwksCache } from ${jwks};
import { TokenVerifier } from ${verifier};
const logger = { info() {}, warn() {}, error() {}, debug() {}, child() { return logger; } };
const auth = { mode: 'oidc', issuer: 'http://127.0.0.1:9', jwksUri: 'http://127.0.0.1:9/jwks', audiences: ['api://x'], groupsClaim: 'groups', requiredScopes: [], allowedOrigins: [] };
const cache = new JwksCache({ issuer: auth.issuer, jwksUri: auth.jwksUri, logger, fetch: async () => Response.json({ keys: [] }) });
await cache.refresh();
const token = ['{"alg":"RS256"}', '{"sub":"a","iss":"http://127.0.0.1:9","aud":"api://x","exp":9999999999}', 'sig'].map((p) => Buffer.from(p).toString('base64url')).join('.');
console.log(JSON.stringify({ ready: cache.health().ok, outcome: await new TokenVerifier(auth, cache).verify('Bearer ' + token) }));
`) as { ready: boolean; outcome: { ok: boolean; status: number; description: string } };
    expect(outcome.ready, 'the key set loads without jose').to.equal(true);
    expect(outcome.outcome).to.deep.include({ ok: false, status: 401 });
    expect(outcome.outcome.description).to.match(/could not be verified: .*cannot load jose/u);
  });

  it('a call is not forwarded when undici cannot load', () => {
    const upstream = JSON.stringify(join(repoRoot, 'sidecar', 'inbound', 'upstream.ts'));
    const outcome = runBlocked(`
import { Upstream, UpstreamError } from ${upstream};
const up = new Upstream({ origin: new URL('http://127.0.0.1:9') });
const attempt = () => up.request({ method: 'POST', path: '/mcp', headers: {} }).then(() => ({ forwarded: true }), (err) => ({ upstreamError: err instanceof UpstreamError, reason: err.reason, message: err.message }));
console.log(JSON.stringify([await attempt(), await attempt()]));
`) as { upstreamError: boolean; reason: string; message: string }[];
    // Each request tries again (a transient failure does not stick) and each is refused.
    for (const o of outcome) {
      expect(o).to.deep.include({ upstreamError: true, reason: 'connect' });
      expect(o.message).to.match(/the HTTP client did not load: cannot load undici/u);
    }
  });
});
