import { expect } from 'chai';
import { maskingConfigFromPolicy, MaskReport } from '../../sidecar/masking/engine.ts';
import { BUILTIN_DETECTORS } from '../../policy/builtin-detectors.ts';
import { found, redactor } from './helpers.ts';

describe('masking engine', () => {
  it('returns the very same string when nothing is found', () => {
    const text = 'nothing to see: 2024-03-15, v1.2.3, order ORD-1234';
    expect(redactor().maskText(text)).to.equal(text);
  });

  it('masks only the enabled detectors', () => {
    const m = redactor({ detectors: ['email'] });
    expect(m.maskText('jane@example.com +44 20 7946 0958')).to.equal('[EMAIL] +44 20 7946 0958');
    expect(redactor({ detectors: [] }).maskText('jane@example.com')).to.equal('jane@example.com');
  });

  it('merges overlapping findings into one span typed by priority', () => {
    // The custom pattern overlaps the phone number: the union is masked, as PHONE (built-ins first).
    const custom = [{ name: 'TICKET', pattern: '2671 ok' }];
    expect(redactor({ custom }).maskText('call (415) 555-2671 ok?')).to.equal('call [PHONE]?');
    expect(found('call (415) 555-2671 ok?', BUILTIN_DETECTORS, custom)).to.deep.equal([['PHONE', '(415) 555-2671 ok']]);
    // Two custom detectors: the first in policy order wins.
    const two = [{ name: 'A', pattern: 'x[0-9]+' }, { name: 'B', pattern: '[0-9]+y' }];
    expect(redactor({ detectors: [], custom: two }).maskText('x123y')).to.equal('[A]');
  });

  it('counts by type and lists findings on request', () => {
    const report = new MaskReport({ explain: true });
    redactor({ custom: [{ name: 'EMPLOYEE_ID', pattern: 'EMP-[0-9]{6}' }] }).maskText('EMP-123456 jane@example.com a@b.io', report);
    expect(report.countsObject()).to.deep.equal({ EMAIL: 2, EMPLOYEE_ID: 1 });
    expect(report.total()).to.equal(3);
    expect(report.findings).to.deep.equal([
      { type: 'EMPLOYEE_ID', detector: 'custom:EMPLOYEE_ID', start: 0, end: 10 },
      { type: 'EMAIL', detector: 'email', start: 11, end: 27 },
      { type: 'EMAIL', detector: 'email', start: 28, end: 34 },
    ]);
    expect(new MaskReport().findings).to.equal(undefined);
  });

  it('detects without masking', () => {
    expect(redactor().detect('ip 10.0.0.1')).to.deep.equal([{ type: 'IP_ADDRESS', detector: 'ipAddress:v4', start: 3, end: 11 }]);
  });

  it('is not stalled by a catastrophic-backtracking custom pattern on a long input', function () {
    this.timeout(10_000);
    const m = redactor({ detectors: [], custom: [{ name: 'EVIL', pattern: '(a+)+$' }] });
    const input = `${'a'.repeat(100_000)}!`;
    const t0 = performance.now();
    expect(m.maskText(input)).to.equal(input);
    const ms = performance.now() - t0;
    expect(ms, `${ms.toFixed(0)} ms`).to.be.below(2000);
    expect(m.maskText('aaaa')).to.equal('[EVIL]');
  });

  it('refuses unsafe custom patterns', () => {
    expect(() => redactor({ custom: [{ name: 'BAD', pattern: '(a)\\1' }] })).to.throw(/backreference/u);
  });

  it('builds its configuration from a resolved policy', () => {
    const key = Buffer.from('k');
    const config = maskingConfigFromPolicy({ mode: 'pseudonymize', keySecret: { name: 's', key: 'k' }, detectors: ['email'], custom: [], fields: ['$.a'] }, key);
    expect(config).to.deep.equal({ mode: 'pseudonymize', key, detectors: ['email'], custom: [], fields: ['$.a'] });
    expect(maskingConfigFromPolicy({ mode: 'redact', keySecret: undefined, detectors: [], custom: [], fields: [] }, undefined)).to.not.have.property('key');
  });

  it('reads escapes like \\n in plain text as whitespace, so the value after one is found', () => {
    expect(redactor().maskText('Name: Jane\\nCard: 4111111111111111\\n4111 1111 1111 1111\\tjane@example.com')).to.equal('Name: Jane\\nCard: [CREDIT_CARD]\\n[CREDIT_CARD]\\t[EMAIL]');
  });

  it('stays linear on hostile inputs (no quadratic corner in any detector)', function () {
    this.timeout(60_000);
    const m = redactor();
    const size = 256 * 1024;
    const fill = (unit: string): string => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
    const units = ['a@', 'x@b.', '+1 ', '1-', '12 ', 'a:', 'ab:', 'eyJ.', '-----BEGIN ', 'password=', 'password="', '&sig=aaaaaaaaaaaa', '://a:b', '1.', '1.1.1.1.', '4111 ', 'DE89 ', 'Bearer ', '\\n1'];
    const t0 = performance.now();
    for (const u of units) {
      const text = fill(u);
      m.maskText(text);
      m.maskJsonText(JSON.stringify([text]));
    }
    // A quadratic corner would take minutes on 256 KB; this bound is only meant to catch that.
    expect(performance.now() - t0).to.be.below(30_000);
  });

  it('handles text of any script and lone surrogates without choking', () => {
    const text = 'Контакт: jane@example.com 📞 +44 20 7946 0958 \ud800 日本語';
    expect(redactor().maskText(text)).to.equal('Контакт: [EMAIL] 📞 [PHONE] \ud800 日本語');
  });
});
