import { expect } from 'chai';
import { loadPeopleCorpus, PEOPLE_TYPES, scorePeople } from './corpus-people-eval.ts';
import { formatTable, precision, recall } from './corpus-eval.ts';
import { pseudonymizer } from './helpers.ts';

// Goals from issue 14, checked per group of the people corpus (test/fixtures/masking/corpus-people.jsonl).
describe('people corpus (PERSON, ADDRESS, DATE_OF_BIRTH)', () => {
  const corpus = loadPeopleCorpus();
  const { byGroup, touchedNegatives, negatives, misses } = scorePeople(pseudonymizer(), corpus);

  before(() => {
    for (const [group, scores] of byGroup) console.log(`\n  ${group}\n${formatTable(scores)}`);
    console.log(`\n  hard negatives touched: ${touchedNegatives} of ${negatives}\n`);
    for (const m of misses) console.log(`    ${m.kind}: ${m.type} ${JSON.stringify(m.value)} in ${m.id}`);
  });

  it('is a corpus worth scoring: every type, positives in prose and under keys, 100+ hard negatives', () => {
    expect(corpus.length).to.be.at.least(400);
    const types = new Set(corpus.flatMap((s) => s.spans.map((x) => x.type)));
    for (const t of PEOPLE_TYPES) expect(types.has(t), t).to.equal(true);
    expect(corpus.filter((s) => s.group === 'hard-negative').length).to.be.at.least(100);
  });

  it('finds PERSON under record keys with recall and precision of at least 0.99', () => {
    const s = byGroup.get('person-key')!.get('PERSON')!;
    expect(recall(s), 'recall').to.be.at.least(0.99);
    expect(precision(s), 'precision').to.be.at.least(0.99);
  });

  it('finds ADDRESS and DATE_OF_BIRTH under record keys without a miss', () => {
    for (const type of ['ADDRESS', 'DATE_OF_BIRTH']) {
      const s = byGroup.get('person-key')!.get(type)!;
      expect(recall(s), `${type} recall`).to.equal(1);
      expect(precision(s), `${type} precision`).to.equal(1);
    }
  });

  it('leaves names of things under name-like keys alone', () => {
    const s = byGroup.get('key-negative')!;
    for (const type of PEOPLE_TYPES) expect(s.get(type)?.fp ?? 0, type).to.equal(0);
  });

  it('finds PERSON in prose with recall of at least 0.85 and precision of at least 0.95', () => {
    const s = byGroup.get('person-prose')!.get('PERSON')!;
    expect(recall(s), 'recall').to.be.at.least(0.85);
    expect(precision(s), 'precision').to.be.at.least(0.95);
  });

  it('finds ADDRESS and DATE_OF_BIRTH in prose with recall of at least 0.9', () => {
    expect(recall(byGroup.get('address-prose')!.get('ADDRESS')!), 'ADDRESS').to.be.at.least(0.9);
    expect(recall(byGroup.get('dob-prose')!.get('DATE_OF_BIRTH')!), 'DATE_OF_BIRTH').to.be.at.least(0.9);
  });

  it('touches at most 3% of the hard negatives', () => {
    expect(touchedNegatives / negatives).to.be.at.most(0.03);
  });
});
