import { expect } from 'chai';
import { formatTable, labeledSpans, loadCorpus, precision, recall, score } from './corpus-eval.ts';
import { redactor } from './helpers.ts';

// Thresholds from the issue: exact span match, per TYPE.
const THRESHOLDS: Readonly<Record<string, { precision: number; recall: number }>> = {
  EMAIL: { precision: 0.98, recall: 0.99 },
  CREDIT_CARD: { precision: 0.98, recall: 0.99 },
  IBAN: { precision: 0.98, recall: 0.99 },
  SSN: { precision: 0.98, recall: 0.99 },
  IP_ADDRESS: { precision: 0.98, recall: 0.99 },
  PHONE: { precision: 0.95, recall: 0.95 },
  SECRET: { precision: 0.95, recall: 0.95 },
  // Names and birth dates the samples carry beside the values above (a "From:" header, "Name: ...; DOB ...").
  PERSON: { precision: 0.95, recall: 0.85 },
  DATE_OF_BIRTH: { precision: 0.95, recall: 0.95 },
};

describe('masking corpus (test/fixtures/masking/corpus.jsonl)', () => {
  const corpus = loadCorpus();
  const masker = redactor();

  it('is a corpus worth scoring: 600+ samples, every type, many hard negatives', () => {
    expect(corpus.length).to.be.at.least(600);
    const types = new Set(corpus.flatMap((s) => s.spans.map((x) => x.type)));
    expect([...types].sort()).to.deep.equal(Object.keys(THRESHOLDS).sort());
    expect(corpus.filter((s) => s.spans.length === 0).length).to.be.at.least(200);
    for (const s of corpus) labeledSpans(s); // every label is where it says
  });

  it('meets the precision and recall thresholds per type', () => {
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
});
