import { expect } from 'chai';
import { inspect } from 'node:util';
import { createHmac } from 'node:crypto';
import { Masker, MaskReport } from '../../sidecar/masking/engine.ts';
import { normalizeValue } from '../../sidecar/masking/pseudonym.ts';
import { KEY, pseudonymizer, redactor } from './helpers.ts';

const TOKEN = /^\[[A-Z_]+_[0-9a-f]{8}\]$/u;

describe('masking pseudonyms', () => {
  const p = pseudonymizer();

  it('is HMAC-SHA256(key, TYPE ":" normalized value), first 8 hex digits', () => {
    const mac = createHmac('sha256', KEY).update('EMAIL:jane@example.com').digest('hex');
    expect(p.pseudonym('EMAIL', 'Jane@Example.com')).to.equal(`[EMAIL_${mac.slice(0, 8)}]`);
  });

  it('gives the same token for the same value, across calls and maskers with the same key', () => {
    const a = p.maskText('write to jane@example.com');
    expect(a).to.match(/^write to \[EMAIL_[0-9a-f]{8}\]$/u);
    expect(pseudonymizer().maskText('write to jane@example.com')).to.equal(a);
  });

  it('depends on the key', () => {
    const other = pseudonymizer({ key: Buffer.from('another key') });
    expect(other.pseudonym('EMAIL', 'jane@example.com')).to.not.equal(p.pseudonym('EMAIL', 'jane@example.com'));
    expect(p.pseudonym('EMAIL', 'jane@example.com')).to.not.equal(p.pseudonym('EMAIL', 'john@example.com'));
  });

  it('normalizes so that one real-world value gets one token', () => {
    const same = (type: string, ...values: string[]): void => {
      const tokens = new Set(values.map((v) => p.pseudonym(type, v)));
      expect(tokens.size, `${type}: ${values.join(' | ')}`).to.equal(1);
    };
    same('EMAIL', 'Jane@Example.COM', 'jane@example.com');
    same('PHONE', '+44 (0)20 7946 0958', '+44 20 7946 0958', '0044 20 7946 0958', '+442079460958');
    same('CREDIT_CARD', '4111 1111 1111 1111', '4111-1111-1111-1111', '4111111111111111');
    same('SSN', '123-45-6789', '123 45 6789', '123456789');
    same('IBAN', 'DE89 3704 0044 0532 0130 00', 'de89370400440532013000');
    same('IP_ADDRESS', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:DB8::1');
    expect(normalizeValue('IP_ADDRESS', '2001:0DB8::0001')).to.equal('2001:db8::1');
    expect(p.pseudonym('SECRET', 'Hunter2')).to.not.equal(p.pseudonym('SECRET', 'hunter2'));
    expect(p.pseudonym('EMAIL', 'x@example.com')).to.not.equal(p.pseudonym('PHONE', 'x@example.com'));
  });

  it('keeps token -> original in the report, in memory, for restoring', () => {
    const report = new MaskReport();
    const out = p.maskText('JANE@example.com, jane@example.com and 10.0.0.1', report);
    const tokens = out.match(/\[[A-Z_]+_[0-9a-f]{8}\]/gu)!;
    expect(tokens).to.have.length(3);
    expect(tokens[0]).to.equal(tokens[1]);
    expect(report.restore?.get(tokens[0])).to.equal('JANE@example.com');
    expect(report.restore?.get(tokens[2]!)).to.equal('10.0.0.1');
    expect(report.countsObject()).to.deep.equal({ EMAIL: 2, IP_ADDRESS: 1 });
    for (const t of tokens) expect(t).to.match(TOKEN);
  });

  it('has no restore map and no pseudonym() in redact mode', () => {
    const report = new MaskReport();
    expect(redactor().maskText('jane@example.com', report)).to.equal('[EMAIL]');
    expect(report.restore).to.equal(undefined);
    expect(() => redactor().pseudonym('EMAIL', 'jane@example.com')).to.throw(/pseudonymize/u);
  });

  it('needs a key in pseudonymize mode, and never shows it', () => {
    expect(() => new Masker({ mode: 'pseudonymize', detectors: [], custom: [], fields: [] })).to.throw(/key/u);
    const secret = 'super-secret-key-material';
    const m = pseudonymizer({ key: Buffer.from(secret) });
    expect(inspect(m, { depth: 10, showHidden: true })).to.not.include(secret);
    expect(JSON.stringify(m)).to.not.include(secret);
  });
});
