// The strict JSON reader: RFC 8259 on UTF-8 bytes, nothing that two decoders could read apart.
import { expect } from 'chai';
import { MAX_DEPTH, parseStrictJson, parseStrictJsonText, StrictJsonError } from '../../sidecar/http/strict-json.ts';

const refused = (text: string | Buffer): string => {
  try {
    if (typeof text === 'string') parseStrictJsonText(text);
    else parseStrictJson(text);
  } catch (err) {
    expect(err).to.be.instanceOf(StrictJsonError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${String(text)}`);
};

describe('strict JSON reader', () => {
  it('reads what JSON.parse reads, the same way', () => {
    for (const text of ['{}', '[]', '0', '-0.5e+3', '"a\\u00e9\\n\\"b"', '{"a":[1,true,false,null,{"b":"c"}]}', ' \t\r\n{"x" : 1 } ', '"\u{1f600}"', '1E2', '[-1.5,2e-3]']) {
      expect(parseStrictJsonText(text), text).to.deep.equal(JSON.parse(text));
    }
    expect(parseStrictJson(Buffer.from('{"name":"Jürgen"}'))).to.deep.equal({ name: 'Jürgen' });
  });

  it('keeps "__proto__" an own key, never the prototype', () => {
    const v = parseStrictJsonText('{"__proto__":{"admin":true}}') as Record<string, unknown>;
    expect(Object.keys(v)).to.deep.equal(['__proto__']);
    expect((v as { admin?: unknown }).admin).to.equal(undefined);
    expect(JSON.stringify(v)).to.equal('{"__proto__":{"admin":true}}');
  });

  it('refuses what readers disagree on, saying what and where', () => {
    expect(refused('{"a":1,"a":2}')).to.equal('duplicate key "a" at offset 7');
    expect(refused('{"a":1,"\\u0061":2}')).to.include('duplicate key "a"');
    expect(refused('"\\ud800"')).to.include('lone surrogate');
    expect(refused(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).to.include('byte-order mark');
    expect(refused('\ufeff{}')).to.include('byte-order mark');
    expect(refused(Buffer.from([0x22, 0xc3, 0x28, 0x22]))).to.include('not valid UTF-8');
    expect(refused(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).to.include('not valid UTF-8'); // an encoded surrogate
  });

  it('refuses everything that is not RFC 8259', () => {
    for (const text of ['', 'NaN', 'Infinity', '-Infinity', 'undefined', "{'a':1}", '{a:1}', '[1,]', '{"a":1,}', '01', '1.', '.5', '-', '+1', '1e', '0x10', '"a\tb"', '"\\x41"', '"\\u12"', '// c\n{}', '{} {}', '"abc', 'tru', '1e400']) {
      expect(() => parseStrictJsonText(text), JSON.stringify(text)).to.throw(StrictJsonError);
    }
  });

  it(`bounds nesting at ${MAX_DEPTH} levels`, () => {
    expect(parseStrictJsonText('['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH))).to.be.an('array');
    expect(refused('['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1))).to.include(`deeper than ${MAX_DEPTH}`);
    expect(refused('{"a":'.repeat(100_000))).to.include(`deeper than ${MAX_DEPTH}`);
  });
});
