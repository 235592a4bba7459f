import { expect } from 'chai';
import { looksLikeJsonDocument, MAX_JSON_DEPTH, MaskingDepthError } from '../../sidecar/masking/json.ts';
import { MaskReport } from '../../sidecar/masking/engine.ts';
import { pseudonymizer, redactor } from './helpers.ts';

describe('masking JSON', () => {
  it('tells a string worth parsing as a document, whole or as a range of a text', () => {
    for (const s of ['{}', ' [1] ', '\n{"a":1}\t']) expect(looksLikeJsonDocument(s), s).to.equal(true);
    for (const s of ['', '{', '   ', '{]', '[}', 'x{}', '{} x']) expect(looksLikeJsonDocument(s), s).to.equal(false);
    // A value where it stands in JSON text: only its own characters count, not the quotes or text around it.
    const text = '{"a":" {} ","b":"   ","c":"{x"}';
    expect(looksLikeJsonDocument(text, 6, 10)).to.equal(true);
    expect(looksLikeJsonDocument(text, 17, 20)).to.equal(false);
    expect(looksLikeJsonDocument(text, 27, 29)).to.equal(false);
    expect(looksLikeJsonDocument('  {}', 0, 2)).to.equal(false);
  });

  const m = redactor();

  it('masks strings at any depth, in arrays and objects, and leaves keys alone', () => {
    const doc = { 'jane@example.com': { list: [1, 'call +44 20 7946 0958', [[{ deep: 'x jane@example.com y' }]]], ok: true, n: null } };
    expect(m.maskJson(doc)).to.deep.equal({ 'jane@example.com': { list: [1, 'call [PHONE]', [[{ deep: 'x [EMAIL] y' }]]], ok: true, n: null } });
  });

  it('returns the same value when nothing is found, and never modifies its input', () => {
    const clean = { a: [1, 2, { b: 'nothing here', c: '2024-03-15T10:30:00Z' }], d: 'v1.2.3' };
    expect(m.maskJson(clean)).to.equal(clean);
    const dirty = { keep: { same: 'x' }, change: { e: 'jane@example.com' } };
    const frozen = JSON.parse(JSON.stringify(dirty)) as typeof dirty;
    const out = m.maskJson(dirty);
    expect(dirty).to.deep.equal(frozen);
    expect(out.keep).to.equal(dirty.keep); // unchanged subtrees are shared
    expect(out.change).to.not.equal(dirty.change);
    const text = '{"a": [1, 2, {"b": "nothing here"}]}';
    expect(m.maskJsonText(text)).to.equal(text);
  });

  it('masks JSON encoded inside strings and re-encodes it', () => {
    const inner = JSON.stringify({ customer: { email: 'jane@example.com', note: 'ok' } });
    const doc = { result: { content: [{ type: 'text', text: inner }] } };
    const out = m.maskJson(doc);
    expect(JSON.parse(out.result.content[0]!.text)).to.deep.equal({ customer: { email: '[EMAIL]', note: 'ok' } });
    const text = m.maskJsonText(JSON.stringify(doc));
    expect(JSON.parse((JSON.parse(text) as typeof doc).result.content[0]!.text)).to.deep.equal({ customer: { email: '[EMAIL]', note: 'ok' } });
  });

  it('masks JSON in JSON in JSON, pretty-printed or not, with escapes at every level', () => {
    const level2 = JSON.stringify({ card: '4111 1111 1111 1111', quote: 'say "hi"\n' }, null, 2);
    const level1 = JSON.stringify({ inner: level2, mail: 'a\\b jane@example.com' });
    const text = JSON.stringify({ outer: level1, ok: '\u00e9' });
    const out = JSON.parse(m.maskJsonText(text)) as { outer: string };
    const l1 = JSON.parse(out.outer) as { inner: string; mail: string };
    expect(l1.mail).to.equal('a\\b [EMAIL]');
    expect(JSON.parse(l1.inner)).to.deep.equal({ card: '[CREDIT_CARD]', quote: 'say "hi"\n' });
  });

  it('keeps the text form: whitespace, key order and escapes of what did not change', () => {
    const text = '{\n  "b": "caf\\u00e9",\n  "a": [ "jane@example.com" ,  2 ]\n}\n';
    expect(m.maskJsonText(text)).to.equal('{\n  "b": "caf\\u00e9",\n  "a": [ "[EMAIL]" ,  2 ]\n}\n');
  });

  it('gives maskJsonText the same result as parse + maskJson + stringify', () => {
    const doc = {
      customers: [
        { name: 'Jane', email: 'jane@example.com', phone: '4155552671', ssn: '123456789', card: 4111111111111111, password: 'pw-123', tags: ['vip'] },
        { name: 'Jo', iban: 'DE89 3704 0044 0532 0130 00', ip: '10.0.0.1', text: JSON.stringify({ secret: 'x', deep: ['+49 30 12345678'] }) },
      ],
      big: 17123456789012,
      '__proto__': 'jane@example.com',
    };
    const text = JSON.stringify(doc);
    const viaValue = m.maskJson(JSON.parse(text) as unknown);
    const viaText = JSON.parse(m.maskJsonText(text)) as unknown;
    expect(viaText).to.deep.equal(viaValue);
    const { customers } = viaValue as { customers: Record<string, unknown>[] };
    expect(customers[0]).to.include({ email: '[EMAIL]', phone: '[PHONE]', ssn: '[SSN]', card: '[CREDIT_CARD]', password: '[SECRET]' });
  });

  it('reads key names as hints: credential keys are secrets whole, phone and ssn keys vouch for bare digits', () => {
    // 4155552672 passes no identifier's check (4155552671 passes the NHS one, and a whole string that does is NATIONAL_ID).
    const out = m.maskJson({ apiKey: 'abc', password: '', token: '${TOKEN}', mobilePhone: '4155552672', other: '4155552672', ssn: '123456789', max_tokens: 'x' });
    expect(out).to.deep.equal({ apiKey: '[SECRET]', password: '', token: '${TOKEN}', mobilePhone: '[PHONE]', other: '4155552672', ssn: '[SSN]', max_tokens: 'x' });
  });

  it('reads each key for what it is when records change their key order (keys are predicted from the last record)', () => {
    // After "a", "firstName" came last time: a key that extends it, stops short of it or is another must not take its hint.
    const records = '[{"a":1,"firstName":"Anna"},{"a":1,"firstNames":"Anna"},{"a":1,"firstNam":"Anna"},{"a":1,"password":"Anna"},{"a":1,"firstName":"Anna"}]';
    const masked = '[{"a":1,"firstName":"[PERSON]"},{"a":1,"firstNames":"Anna"},{"a":1,"firstNam":"Anna"},{"a":1,"password":"[SECRET]"},{"a":1,"firstName":"[PERSON]"}]';
    expect(m.maskJsonText(records)).to.equal(masked);
    // The same inside a tool result's text, where keys are read in their escaped form.
    expect(JSON.parse(m.maskJsonText(JSON.stringify({ text: records }))) as unknown).to.deep.equal({ text: masked });
  });

  it('reads each key for what it is when a key has several successors, compact or pretty-printed, at both levels', () => {
    // After "a": "firstName" and "password" alternate (both are remembered as guesses), then a
    // key that extends one of them and one that is neither come in between.
    const keys = ['firstName', 'password', 'firstName', 'firstNames', 'password', 'title', 'firstName', 'password'];
    const records = keys.map((k) => ({ a: 1, [k]: 'Anna' }));
    const masked = keys.map((k) => ({ a: 1, [k]: k === 'firstName' ? '[PERSON]' : k === 'password' ? '[SECRET]' : 'Anna' }));
    const forms = [JSON.stringify(records), JSON.stringify(records, null, 2), JSON.stringify(records).replaceAll('":', '" :')];
    for (const text of forms) {
      expect(JSON.parse(m.maskJsonText(text)) as unknown, text).to.deep.equal(masked);
      const inner = (JSON.parse(m.maskJsonText(JSON.stringify({ text }))) as { text: string }).text;
      expect(JSON.parse(inner) as unknown, text).to.deep.equal(masked);
    }
  });

  it('does not touch __proto__ keys beyond masking their value', () => {
    const doc = JSON.parse('{"__proto__": {"e": "jane@example.com"}}') as Record<string, unknown>;
    const out = m.maskJson(doc);
    expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
    expect(Object.keys(out)).to.deep.equal(['__proto__']);
    expect(JSON.stringify(out)).to.equal('{"__proto__":{"e":"[EMAIL]"}}');
  });

  describe('fields', () => {
    const f = redactor({ fields: ['$.customer.taxId', '$..password', '$.items[*].sku', '$.list[1]', "$['odd key']"] });

    it('masks the whole value at a field path, whatever its type, as FIELD', () => {
      const doc = { customer: { taxId: { country: 'DE', id: 123 }, other: 'x' }, items: [{ sku: 42 }, { sku: null }], list: ['a', true, 'c'], 'odd key': 'v', a: { b: { password: 7 } } };
      const report = new MaskReport();
      expect(f.maskJson(doc, report)).to.deep.equal({ customer: { taxId: '[FIELD]', other: 'x' }, items: [{ sku: '[FIELD]' }, { sku: '[FIELD]' }], list: ['a', '[FIELD]', 'c'], 'odd key': '[FIELD]', a: { b: { password: '[FIELD]' } } });
      expect(report.countsObject()).to.deep.equal({ FIELD: 6 });
      expect(JSON.parse(f.maskJsonText(JSON.stringify(doc)))).to.deep.equal(f.maskJson(doc));
    });

    it('matches from the root of a JSON document embedded in a string too', () => {
      const doc = { content: [{ text: JSON.stringify({ customer: { taxId: 'DE123' } }) }] };
      const out = f.maskJson(doc);
      expect(JSON.parse(out.content[0]!.text)).to.deep.equal({ customer: { taxId: '[FIELD]' } });
      expect(JSON.parse((JSON.parse(f.maskJsonText(JSON.stringify(doc))) as typeof doc).content[0]!.text)).to.deep.equal({ customer: { taxId: '[FIELD]' } });
    });

    it('pseudonymizes a field by its JSON text', () => {
      const p = pseudonymizer({ fields: ['$.id'] });
      const a = p.maskJson({ id: { x: 1 } });
      expect(a.id).to.match(/^\[FIELD_[0-9a-f]{8}\]$/u);
      expect(p.maskJson({ id: { x: 1 } })).to.deep.equal(a);
      expect(p.maskJson({ id: { x: 2 } })).to.not.deep.equal(a);
    });
  });

  it('masks text that is not JSON as text', () => {
    expect(m.maskJsonText('{not json jane@example.com')).to.equal('{not json [EMAIL]');
    expect(m.maskJsonText('plain jane@example.com')).to.equal('plain [EMAIL]');
    expect(m.maskJsonText('{"a": "jane@example.com"} trailing')).to.equal('{"a": "[EMAIL]"} trailing');
    expect(m.maskJsonText('"jane@example.com"')).to.equal('"[EMAIL]"');
  });

  it('counts only once when a text turns out not to be JSON half-way', () => {
    const report = new MaskReport();
    m.maskJsonText('{"a": "jane@example.com", oops', report);
    expect(report.countsObject()).to.deep.equal({ EMAIL: 1 });
  });

  it('refuses values nested deeper than the limit (maskJson) and falls back to text (maskJsonText)', () => {
    let deep: unknown = 'jane@example.com';
    for (let i = 0; i < MAX_JSON_DEPTH + 5; i++) deep = [deep];
    expect(() => m.maskJson(deep)).to.throw(MaskingDepthError);
    const text = JSON.stringify(deep);
    expect(m.maskJsonText(text)).to.equal(text.replace('jane@example.com', '[EMAIL]'));
  });

  it('reports findings with their JSON path and position in the string', () => {
    const report = new MaskReport({ explain: true });
    m.maskJsonText(JSON.stringify({ a: [{ b: 'mail jane@example.com' }], c: JSON.stringify({ d: 'x 10.0.0.1' }) }), report);
    expect(report.findings).to.deep.equal([
      { type: 'EMAIL', detector: 'email', start: 5, end: 21, path: ['a', 0, 'b'] },
      { type: 'IP_ADDRESS', detector: 'ipAddress:v4', start: 2, end: 10, path: ['c', 'd'] },
    ]);
  });
});
