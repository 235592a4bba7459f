import { expect } from 'chai';
import { CORPUS_FILE, formatTable, labeledSpans, loadCorpus, precision, recall, score } from './corpus-eval.ts';
import { redactor } from './helpers.ts';

const IDS_FILE = CORPUS_FILE.replace(/corpus\.jsonl$/u, 'corpus-ids.jsonl');

// Goals of issue 14, exact span match, per TYPE, on test/fixtures/masking/corpus-ids.jsonl.
const THRESHOLDS: Readonly<Record<string, { precision: number; recall: number }>> = {
  NATIONAL_ID: { precision: 0.99, recall: 0.99 },
  VAT_ID: { precision: 0.99, recall: 0.99 },
  PASSPORT: { precision: 0.95, recall: 0.95 },
  PHONE: { precision: 0.97, recall: 0.97 },
  SECRET: { precision: 0.95, recall: 0.95 },
};

describe('masking corpus of identifiers, national phone formats and secret syntaxes (corpus-ids.jsonl)', () => {
  const corpus = loadCorpus(IDS_FILE);
  const masker = redactor();

  it('is a corpus worth scoring: every new type, hard negatives for each, third-party examples', () => {
    expect(corpus.length).to.be.at.least(900);
    const types = new Set(corpus.flatMap((s) => s.spans.map((x) => x.type)));
    expect([...types].sort()).to.deep.equal(Object.keys(THRESHOLDS).sort());
    for (const group of ['natid-bad', 'natid-neg', 'vat-neg', 'passport-neg', 'phone-neg', 'secret-neg']) {
      expect(corpus.filter((s) => s.id.startsWith(`${group}-`) && s.spans.length === 0).length, group).to.be.at.least(10);
    }
    for (const s of corpus) labeledSpans(s);
  });

  it('meets the precision and recall goals per type', () => {
    const { scores, misses } = score(masker, corpus);
    console.log(`\n${formatTable(scores)}\n`);
    for (const m of misses) console.log(`    ${m.kind}: ${m.type} ${JSON.stringify(m.value)} in ${m.id}`);
    for (const [type, t] of Object.entries(THRESHOLDS)) {
      const s = scores.get(type);
      expect(s, type).to.not.equal(undefined);
      expect(precision(s!), `${type} precision`).to.be.at.least(t.precision);
      expect(recall(s!), `${type} recall`).to.be.at.least(t.recall);
    }
  });

  it('never masks a number that fails its checksum as NATIONAL_ID or VAT_ID', () => {
    const failing = corpus.filter((s) => s.id.startsWith('natid-bad-') || s.id.startsWith('vat-neg-'));
    expect(failing.length).to.be.at.least(60);
    const masked = failing.flatMap((s) => masker.detect(s.text).filter((f) => f.type === 'NATIONAL_ID' || f.type === 'VAT_ID').map((f) => `${s.id}: ${s.text.slice(f.start, f.end)}`));
    expect(masked).to.deep.equal([]);
  });

  it('finds none of the new types in the team corpus, which has none', () => {
    const found = loadCorpus().flatMap((s) => masker.detect(s.text).filter((f) => ['NATIONAL_ID', 'VAT_ID', 'PASSPORT'].includes(f.type)).map((f) => `${s.id}: ${s.text.slice(f.start, f.end)}`));
    expect(found).to.deep.equal([]);
  });
});
