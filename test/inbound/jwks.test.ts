// The key set is kept as fetched and turned into jose's resolver on first use, so its shape is
// checked when it arrives: a set that could never verify a token must not make the sidecar ready.
import { expect } from 'chai';
import { JwksCache } from '../../sidecar/inbound/auth/jwks.ts';
import { createLogger } from '../../lib/log.ts';

const logger = createLogger({ level: 'error' });
const serving = (body: unknown): typeof fetch => () => Promise.resolve(Response.json(body));

describe('JwksCache: what a fetched key set must be', () => {
  for (const [what, body, reason] of [
    ['no "keys" array', { keys: 'x' }, /is not a JWK Set \(no "keys" array\)/u],
    ['a key that is not an object', { keys: [{ kty: 'RSA' }, 42] }, /is not a JWK Set \(a key is not an object\)/u],
  ] as const) {
    it(`is not ready with ${what}`, async () => {
      const cache = new JwksCache({ issuer: 'https://issuer.example', jwksUri: 'https://issuer.example/jwks', logger, fetch: serving(body) });
      await cache.refresh();
      const health = cache.health();
      expect(health.ok).to.equal(false);
      expect(health.reason).to.match(reason);
    });
  }

  it('is ready with a set of key objects, before jose is needed', async () => {
    const cache = new JwksCache({ issuer: 'https://issuer.example', jwksUri: 'https://issuer.example/jwks', logger, fetch: serving({ keys: [{ kty: 'RSA', kid: 'a' }] }) });
    await cache.refresh();
    expect(cache.health()).to.deep.equal({ ok: true });
  });
});
