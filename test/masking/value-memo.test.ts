// The per-call shortcuts of the JSON text walker (value-memo.ts): a short value left unchanged
// once is not masked again under the same key hints, and '%' / '&' are found by a cursor over
// the text instead of a search of every value. Neither may change a result.
import { expect } from 'chai';
import { MaskReport } from '../../sidecar/masking/engine.ts';
import { CleanValues, EscapeCursor, MEMO_MAX_LENGTH } from '../../sidecar/masking/value-memo.ts';
import { pseudonymizer, redactor } from './helpers.ts';

describe('masking: per-call value memo', () => {
  const masker = redactor();

  it('masks a value seen clean under another key when its key makes it personal data, in either order', () => {
    const cases: [string, string][] = [
      // A bare digit run is a phone number only under a phone key.
      ['[{"note":"0301234567"},{"phone":"0301234567"}]', '[{"note":"0301234567"},{"phone":"[PHONE]"}]'],
      ['[{"phone":"0301234567"},{"note":"0301234567"}]', '[{"phone":"[PHONE]"},{"note":"0301234567"}]'],
      // Any value is a secret under a credential key.
      ['[{"note":"hunter2"},{"password":"hunter2"},{"note":"hunter2"}]', '[{"note":"hunter2"},{"password":"[SECRET]"},{"note":"hunter2"}]'],
      // A postcode is personal data under its key.
      ['[{"x":"10115"},{"postcode":"10115"}]', '[{"x":"10115"},{"postcode":"[ADDRESS]"}]'],
    ];
    for (const [text, masked] of cases) {
      expect(masker.maskJsonText(text), text).to.equal(masked);
      expect(masker.maskJson(JSON.parse(text)), text).to.deep.equal(JSON.parse(masked));
    }
  });

  it('masks a generic "name" by the record around it, not by what the same value gave in another record', () => {
    const text = '[{"name":"Acme","id":1},{"name":"Acme","lastName":"Kowalski"},{"name":"Acme","id":2}]';
    const masked = '[{"name":"Acme","id":1},{"name":"[PERSON]","lastName":"[PERSON]"},{"name":"Acme","id":2}]';
    expect(masker.maskJsonText(text)).to.equal(masked);
    expect(masker.maskJson(JSON.parse(text))).to.deep.equal(JSON.parse(masked));
  });

  it('masks a document by its depth, not by what the same string gave deeper down', () => {
    // Four strings deep the document is masked as text, and nothing in it is found that way; at
    // the top it is a document, whose postcode is personal data. (The leading space keeps the
    // JSON text walker from reading it in place, so it is a string value there too.)
    const doc = ' {"zip":"1"}';
    let deep = doc;
    for (let k = 0; k < 4; k++) deep = JSON.stringify({ d: deep });
    for (const masked of [masker.maskJson({ deep, doc }), JSON.parse(masker.maskJsonText(JSON.stringify({ deep, doc }))) as { deep: string; doc: string }]) {
      expect(masked.deep).to.equal(deep);
      expect(JSON.parse(masked.doc)).to.deep.equal({ zip: '[ADDRESS]' });
    }
  });

  it('keeps counts, explain findings and their paths for repeated values', () => {
    const text = JSON.stringify({
      rows: [
        { status: 'active', phone: '0301234567' },
        { status: 'active', phone: '0301234567' },
        { status: 'active', note: '0301234567' },
      ],
    });
    const parsedReport = new MaskReport({ explain: true });
    masker.maskJson(JSON.parse(text), parsedReport);
    expect(parsedReport.countsObject()).to.deep.equal({ PHONE: 2 });
    expect(parsedReport.findings?.map((f) => f.path)).to.deep.equal([
      ['rows', 0, 'phone'],
      ['rows', 1, 'phone'],
    ]);
    const report = new MaskReport({ explain: true });
    expect(masker.maskJsonText(text, report)).to.equal(
      '{"rows":[{"status":"active","phone":"[PHONE]"},{"status":"active","phone":"[PHONE]"},{"status":"active","note":"0301234567"}]}',
    );
    expect(report.countsObject()).to.deep.equal({ PHONE: 2 });
    expect(report.findings).to.deep.equal([
      { type: 'PHONE', detector: 'phone', start: 0, end: 10, path: ['rows', 0, 'phone'] },
      { type: 'PHONE', detector: 'phone', start: 0, end: 10, path: ['rows', 1, 'phone'] },
    ]);
  });

  it('gives repeated values the same pseudonym and restores them', () => {
    const p = pseudonymizer();
    const report = new MaskReport();
    const out = JSON.parse(p.maskJsonText('[{"phone":"0301234567","s":"vip"},{"phone":"0301234567","s":"vip"}]', report)) as { phone: string; s: string }[];
    expect(out[0]!.phone).to.match(/^\[PHONE_[0-9a-f]{8}\]$/u);
    expect(out[1]).to.deep.equal(out[0]);
    expect(out[0]!.s).to.equal('vip');
    expect(report.countsObject()).to.deep.equal({ PHONE: 2 });
    expect(report.restore?.get(out[0]!.phone)).to.equal('0301234567');
  });

  it('gives the same results on a second call (the memo is per call)', () => {
    const text = '[{"note":"hunter2"},{"password":"hunter2"}]';
    const first = masker.maskJsonText(text);
    expect(masker.maskJsonText('{"password":"hunter2"}')).to.equal('{"password":"[SECRET]"}');
    expect(masker.maskJsonText(text)).to.equal(first);
  });

  it('finds encoded values wherever the last % or & was, escaped or not, in embedded documents too', () => {
    const text = JSON.stringify({
      a: 'a%b',
      b: 'x',
      c: 'j%40e.co',
      d: 'R&D',
      e: 'plain',
      f: 'j&#64;e.co',
      // A document in a string whose own strings have escapes: decoded, masked, encoded again.
      g: JSON.stringify({ k: 'line\nbreak', m: 'k%40e.co' }),
      h: 'j%40e.co',
      i: JSON.stringify({ k: 'j&commat;e.co' }),
      j: 'tail',
    }).replace('j&#64;e.co', 'j\\u0026#64;e.co');
    expect(JSON.parse(masker.maskJsonText(text))).to.deep.equal({
      a: 'a%b',
      b: 'x',
      c: '[EMAIL]',
      d: 'R&D',
      e: 'plain',
      f: '[EMAIL]',
      g: JSON.stringify({ k: 'line\nbreak', m: '[EMAIL]' }),
      h: '[EMAIL]',
      i: JSON.stringify({ k: '[EMAIL]' }),
      j: 'tail',
    });
  });

  it('does not carry the position of the next % from a document to the one embedded in it', () => {
    // The outer text's next '%' after "plain" is far on, inside g; g's structure is \u-escaped,
    // so it is decoded into another text, whose '%' comes much earlier.
    const text = `{"x":"plain","pad":"${'y'.repeat(100)}","g":"{\\u0022m\\u0022:\\u0022k%40e.co\\u0022}"}`;
    expect(JSON.parse(masker.maskJsonText(text))).to.deep.equal({ x: 'plain', pad: 'y'.repeat(100), g: '{"m":"[EMAIL]"}' });
  });
});

describe('masking: CleanValues', () => {
  it('keeps short values by hints until cleared', () => {
    const memo = new CleanValues();
    expect(memo.slotOf('', 0)).to.equal(-1);
    expect(memo.slotOf('x'.repeat(MEMO_MAX_LENGTH + 1), 0)).to.equal(-1);
    const slot = memo.slotOf('active', 0);
    expect(slot).to.be.at.least(0);
    expect(memo.has(slot, 'active', 0)).to.equal(false);
    memo.add(slot, 'active', 0);
    expect(memo.has(slot, 'active', 0)).to.equal(true);
    expect(memo.has(slot, 'active', 1)).to.equal(false);
    memo.clear();
    expect(memo.has(slot, 'active', 0)).to.equal(false);
  });

  it('tells values in one slot apart by their characters', () => {
    const memo = new CleanValues();
    // Same length, first, middle and last character: the same slot.
    const slot = memo.slotOf('abXcd', 0);
    expect(memo.slotOf('aYXZd', 0)).to.equal(slot);
    memo.add(slot, 'abXcd', 0);
    expect(memo.has(slot, 'aYXZd', 0)).to.equal(false);
  });
});

describe('masking: EscapeCursor', () => {
  it('answers for increasing spans of one text and starts over for another', () => {
    const cursor = new EscapeCursor();
    const a = {};
    const text = 'ab%cd&ef';
    expect(cursor.mayBeEncoded(a, text, 0, 2)).to.equal(false);
    expect(cursor.mayBeEncoded(a, text, 0, 3)).to.equal(true);
    expect(cursor.mayBeEncoded(a, text, 3, 5)).to.equal(false);
    expect(cursor.mayBeEncoded(a, text, 3, 6)).to.equal(true);
    expect(cursor.mayBeEncoded(a, text, 6, 8)).to.equal(false);
    const b = {};
    expect(cursor.mayBeEncoded(b, '%', 0, 1)).to.equal(true);
    cursor.clear();
    expect(cursor.mayBeEncoded(a, text, 0, 3)).to.equal(true);
  });
});
