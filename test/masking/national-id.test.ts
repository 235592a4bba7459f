import { expect } from 'chai';
import { deRvnr, esDniNie, fiHetu, iePpsn, itCodiceFiscale, ukNino } from '../../sidecar/masking/detectors/national-id/alnum.ts';
import * as D from '../../sidecar/masking/detectors/national-id/digits.ts';
import { nationalIdRulesPassed } from '../../sidecar/masking/detectors/national-id/validate.ts';
import { validVat, vatIdValid } from '../../sidecar/masking/detectors/vat-id/rules.ts';
import { MaskReport } from '../../sidecar/masking/engine.ts';
import { found, pseudonymizer, redactor } from './helpers.ts';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Per country: examples published with the identifier's description (the Wikipedia article of
// the identifier, the issuing authority's test number) or, where marked, used in Presidio's
// recognizer tests; each invalid one is a valid one with its check character changed.
const CASES: readonly [string, (v: string) => boolean, readonly string[], readonly string[]][] = [
  ['DE Steuer-ID (BZSt structure)', D.deSteuerIdStructure, ['86095742719'], ['86095742718', '12345678903', '01234567896']],
  ['DE Steuer-ID (checksum, Presidio)', D.deSteuerIdChecksum, ['12345678903', '98765432106'], ['12345678901', '98765432100', '02345678901']],
  ['DE RVNR (Presidio)', deRvnr, ['15070649C103', '65070803A019'], ['15070649C100', '65070803A012', '15071349C103']],
  ['FR NIR', D.frNir, ['255081416802538'], ['255081416802539', '955081416802538']],
  ['ES DNI / NIE', esDniNie, ['12345678Z', 'X1234567L', 'Z8078221M', 'Y8063915Z'], ['12345678A', 'Y8063915Q', 'W8063915Q']],
  ['IT codice fiscale', itCodiceFiscale, ['RSSMRA85T10A562S', 'AAAAAA00B11C333Y'], ['RSSMRA85T10A562T', 'A55AAA00B11C333N']],
  ['NL BSN', D.nlBsn, ['111222333', '123456782'], ['111222334', '123456789']],
  ['BE national number', D.beNationalNumber, ['85073003328'], ['85073003329', '85133003328']],
  ['PL PESEL', D.plPesel, ['44051401359', '02070803628', '44051401458'], ['44051401358', '44051401459']],
  ['SE personnummer', D.sePersonnummer, ['8112289874', '198112289874', '8712202384'], ['8112289875', '198113289874']],
  ['DK CPR (date only: no check digit since 2007)', D.dkCpr, ['0102031234'], ['3202031234']],
  ['FI HETU', fiHetu, ['131052-308T', '010594Y9032', '020504A902E'], ['131052-308U', '111111-111A', '131052/308T']],
  ['NO fodselsnummer', D.noFodselsnummer, ['01010750160'], ['01010750161', '01010750170']],
  ['AT SVNR', D.atSvnr, ['1237010180'], ['1238010180', '0237010180']],
  ['PT NIF', D.ptNif, ['123456789', '501964843'], ['123456788', '423456789']],
  ['IE PPSN', iePpsn, ['1234567T', '1234567TW'], ['1234567A', '1234567TZ']],
  ['UK NINO (structure)', ukNino, ['AB123456C', 'TW987654A'], ['QQ123456C', 'BG123456A', 'AB123456E', 'NT998877A']],
  ['UK NHS number', D.ukNhs, ['9434765919', '4010232137'], ['9434765918', '4010232138']],
  ['CH AHV', D.chAhv, ['7569217076985'], ['7569217076984', '7579217076985']],
  ['EE/LT personal code', D.eeLtPersonalCode, ['37605030299'], ['37605030298', '77605030299']],
  ['CZ/SK birth number', D.czSkBirthNumber, ['7360285163'], ['7360285164', '7313285163']],
  ['RO CNP', D.roCnp, ['1800101221144'], ['1800101221145', '1801301221144']],
  ['BG EGN', D.bgEgn, ['7523169263'], ['7523169264']],
  ['HR OIB', D.hrOib, ['69435151530'], ['69435151531']],
  ['SI EMSO', D.siEmso, ['0101006500006'], ['0101006500007']],
  ['IS kennitala', D.isKennitala, ['1201743399'], ['1201743389', '1201743395']],
];

describe('NATIONAL_ID validators, per country', () => {
  for (const [name, valid, good, badOnes] of CASES) {
    it(`${name}: accepts ${good.join(', ')}; refuses ${badOnes.join(', ')}`, () => {
      for (const v of good) expect(valid(v), v).to.equal(true);
      for (const v of badOnes) expect(valid(v), v).to.equal(false);
    });
  }

  it('covers at least 20 countries of the EU/EEA, the UK and Switzerland', () => {
    const countries = new Set(CASES.flatMap(([name]) => name.split(' ')[0]!.split('/')));
    expect(countries.size).to.be.at.least(20);
  });
});

describe('nationalIdRulesPassed and vatIdValid (evaluation of labelled values)', () => {
  it('name every rule a written value passes, separators ignored, and none for a failed checksum', () => {
    expect(nationalIdRulesPassed('44051401458')).to.include('PL PESEL');
    expect(nationalIdRulesPassed('44051401459')).to.not.include('PL PESEL');
    expect(nationalIdRulesPassed('811228-9874')).to.include('SE personnummer');
    expect(nationalIdRulesPassed('131052-308T')).to.deep.equal(['FI HETU']);
    expect(nationalIdRulesPassed('AB 12 34 56 C')).to.deep.equal(['UK NINO']);
    expect(nationalIdRulesPassed('x1234567l')).to.deep.equal(['ES DNI/NIE']);
    expect(nationalIdRulesPassed('AAAAAA00B11C333N')).to.deep.equal([]);
    expect(nationalIdRulesPassed('hello')).to.deep.equal([]);
  });

  it('validate a VAT number as written, prefix in any case', () => {
    expect(vatIdValid('de 136 695 976')).to.equal(true);
    expect(vatIdValid('DE-136-695-976')).to.equal(true);
    expect(vatIdValid('DE123456789')).to.equal(false);
    expect(vatIdValid('XX136695976')).to.equal(false);
  });
});

describe('NATIONAL_ID in text', () => {
  const cases: [string, [string, string][]][] = [
    ['Steuer-ID: 86095742719.', [['NATIONAL_ID', '86095742719']]],
    ['86095742719', [['NATIONAL_ID', '86095742719']]],
    // Passes the checksum but not the BZSt structure (no digit repeats): whole, it stands alone; in prose it needs a cue.
    ['12345678903', [['NATIONAL_ID', '12345678903']]],
    ['Order 12345678903 shipped', []],
    ['11112345678', []], // a digit four times: no Steuer-ID, even whole
    ['02345678901', []], // no Steuer-ID starts with 0 (an HR OIB would, and needs its cue)
    ['Meine Steuer-ID: 12345678903.', [['NATIONAL_ID', '12345678903']]],
    ['BSN: 111222333', [['NATIONAL_ID', '111222333']]],
    ['Order 111222333 shipped', []], // weak format without a cue
    ['PESEL 111222333', []], // a cue for another country's format
    ['NIR 2 55 08 14 168 025 38', [['NATIONAL_ID', '2 55 08 14 168 025 38']]],
    ['personnummer 811228-9874', [['NATIONAL_ID', '811228-9874']]],
    ['HETU 131052-308T ok', [['NATIONAL_ID', '131052-308T']]],
    ['Rijksregisternummer 85.07.30-033.28', [['NATIONAL_ID', '85.07.30-033.28']]],
    ['AHV 756.9217.0769.85', [['NATIONAL_ID', '756.9217.0769.85']]],
    ['NINO AB 12 34 56 C', [['NATIONAL_ID', 'AB 12 34 56 C']]],
    ['NINO AB 123456 C', [['NATIONAL_ID', 'AB 123456 C']]],
    // Eight characters, a space and a letter is also an NIE's shape; where the NIE check fails, the NINO is read.
    ['NINO AB123456 C', [['NATIONAL_ID', 'AB123456 C']]],
    ['NIE Y8063915-Z', [['NATIONAL_ID', 'Y8063915-Z']]],
    ['ab 12 34 56 c', [['NATIONAL_ID', 'ab 12 34 56 c']]],
    ['AB-12 34 56 C', []],
    ['called on 2023-04-29', []],
    ['DNI 12345678-Z', [['NATIONAL_ID', '12345678-Z']]],
    ['RSSMRA85T10A562S', [['NATIONAL_ID', 'RSSMRA85T10A562S']]],
    ['NHS number 943 476 5919', [['NATIONAL_ID', '943 476 5919']]],
    ['call 943 476 5919', [['PHONE', '943 476 5919']]],
    ['ORD-86095742719', []],
    // A whole value that validates with a birth date and a check digit needs no cue; in prose it still does.
    ['44051401458', [['NATIONAL_ID', '44051401458']]],
    [' 02070803628\n', [['NATIONAL_ID', '02070803628']]],
    ['9201232387', [['NATIONAL_ID', '9201232387']]],
    ['order 44051401458 shipped', []],
    ['44051401459', []], // PESEL check digit wrong
    ['44131401458', []], // no month 13
    ['1501012387', []], // a valid personnummer, but ten digits from 1 on read as a Unix time first
    ['personnummer 1501012387', [['NATIONAL_ID', '1501012387']]],
    ['0032698674', [['NATIONAL_ID', '0032698674']]], // UK NHS: a whole value needs only its checksum
    ['ref 0032698674', []], // in prose, a cue
    // NHS numbers as the NHS prints them (3 3 4); dashed, only where no US number could be meant.
    ['221 395 1837', [['NATIONAL_ID', '221 395 1837']]],
    ['401-023-2137', [['NATIONAL_ID', '401-023-2137']]],
    ['212-555-0105', [['PHONE', '212-555-0105']]], // passes the NHS check, but is a possible US number
    ['401-023-2138', [['PHONE', '401-023-2138']]], // fails the NHS check
    ['Stadt, 021 123 0006', [['PHONE', '021 123 0006']]], // passes it, but starts with a trunk 0
    ['call 221 395 1837', [['PHONE', '221 395 1837']]],
    // An identifier whose date, century and check vouch for it, after a short word that lost its space.
    ['My finnish id code is030594W903B.', [['NATIONAL_ID', '030594W903B']]],
    ['My swedish id code is199003052397.', [['NATIONAL_ID', '199003052397']]],
    ['is030594W903C', []], // wrong check character
    ['x199003052398', []], // wrong Luhn digit
    ['tokenx030594W903B', []], // six letters before: a token, not a lost space
    ['a160975f978f', []], // all hex: a hash, or a UUID's last segment
    ['is199003052397x', []],
    ['pnr:199003052397', [['NATIONAL_ID', '199003052397']]],
    ['kodo199003052397', [['NATIONAL_ID', '199003052397']]], // four letters and twelve digits: sixteen, a codice fiscale's length
    ['version 1.2.3.4 on 15.03.2024', []],
  ];
  for (const [text, want] of cases) it(`finds ${JSON.stringify(want)} in ${JSON.stringify(text)}`, () => expect(found(text)).to.deep.equal(want));
});

describe('NATIONAL_ID as a whole JSON value', () => {
  it('masks a validating string or number value, but not under a phone key nor inside a longer string', () => {
    const m = redactor();
    expect(m.maskJsonText('{"id":"44051401458","n":44051401458,"note":"ref 44051401458"}')).to.equal('{"id":"[NATIONAL_ID]","n":"[NATIONAL_ID]","note":"ref 44051401458"}');
    expect(m.maskJsonText('{"phone":"02070803628"}')).to.equal('{"phone":"[PHONE]"}');
    expect(m.maskJsonText('{"id":"44051401459","t":1501012387}')).to.equal('{"id":"44051401459","t":1501012387}');
  });

  it('lets a check digit alone vouch for a whole string, but not for a JSON number', () => {
    const m = redactor();
    // UK NHS and the Steuer-ID's checksum: no birth date in them, so a JSON number (a count, a size) keeps its digits.
    const json = '{"nhs":"0032698674","steuer":"12345678903","n":4010232137,"m":12345678903}';
    expect(m.maskJsonText(json)).to.equal('{"nhs":"[NATIONAL_ID]","steuer":"[NATIONAL_ID]","n":4010232137,"m":12345678903}');
    expect(m.maskJson({ nhs: '0032698674', n: 4010232137 })).to.deep.equal({ nhs: '[NATIONAL_ID]', n: 4010232137 });
    // Nine digits (NL BSN, PT NIF) are as often another country's number: a cue still.
    expect(m.maskJsonText('{"v":"111222333"}')).to.equal('{"v":"111222333"}');
  });
});

describe('VAT_ID', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const data = JSON.parse(readFileSync(join(here, '..', 'fixtures', 'masking', 'third-party', 'vat-examples.json'), 'utf8')) as { valid: string[]; invalid: string[] };

  it('validates one example of each of the 27 member states and refuses it with a wrong check character', () => {
    expect(new Set(data.valid.map((v) => v.slice(0, 2))).size).to.equal(27);
    for (const v of data.valid) expect(validVat(v.slice(0, 2), v.slice(2)), v).to.equal(true);
    for (const v of data.invalid) expect(validVat(v.slice(0, 2), v.slice(2)), v).to.equal(false);
  });

  const cases: [string, [string, string][]][] = [
    ['USt-IdNr.: DE136695976', [['VAT_ID', 'DE136695976']]],
    ['TVA FR 40 303 265 045.', [['VAT_ID', 'FR 40 303 265 045']]],
    ['btw NL004495445B01', [['VAT_ID', 'NL004495445B01']]],
    ['DE123456789', []],
    ['136695976', []],
    // A lower-case prefix and a separator: the whole value, or after a VAT word; "de" is a word in prose.
    ['de 136 695 976', [['VAT_ID', 'de 136 695 976']]],
    ['USt-IdNr. de 136 695 976', [['VAT_ID', 'de 136 695 976']]],
    ['un total de 136 695 976 habitantes', []],
    ['de 136 695 977', []],
    // IT partita IVA without its prefix: Luhn and an office code, after a VAT word or as the whole value.
    ['01333550323', [['VAT_ID', '01333550323']]],
    ['P.IVA 01333550323', [['VAT_ID', '01333550323']]],
    ['partita IVA: 01333550323', [['VAT_ID', '01333550323']]],
    ['order 01333550323 shipped', []],
    ['01333550324', []], // Luhn fails
    ['01333554325', []], // Luhn passes, office 432 does not exist
    ['uid 01333550323', []],
  ];
  for (const [text, want] of cases) it(`finds ${JSON.stringify(want)} in ${JSON.stringify(text)}`, () => expect(found(text)).to.deep.equal(want));
});

describe('PASSPORT', () => {
  const cases: [string, [string, string][]][] = [
    ['Reisepass C01234565 ausgestellt am 01.01.2020.', [['PASSPORT', 'C01234565']]],
    ['Passport No. 123456789', [['PASSPORT', '123456789']]],
    ['AAA123456 es mi número de pasaporte', [['PASSPORT', 'AAA123456']]],
    ['Passports: AB1234567 and XY9876543', [['PASSPORT', 'AB1234567'], ['PASSPORT', 'XY9876543']]],
    ['passport ABC12345', [['PASSPORT', 'ABC12345']]],
    ['passport ABCD12345', []], // at most three letters
    ['C01234565', []],
    ['my passport expired; order 12345678 shipped', []],
    ['passport holder, phone 0612345678', [['PHONE', '0612345678']]],
  ];
  for (const [text, want] of cases) it(`finds ${JSON.stringify(want)} in ${JSON.stringify(text)}`, () => expect(found(text)).to.deep.equal(want));
});

describe('SSN (US) keeps its own type beside NATIONAL_ID', () => {
  const cases: [string, [string, string][]][] = [
    ['078-05-1123', [['SSN', '078-05-1123']]],
    ['078.05.1123', [['SSN', '078.05.1123']]],
    ['abc 078 05 1123 abc', [['SSN', '078 05 1123']]],
    ['SSN 078051121', [['SSN', '078051121']]],
    ['SSN 078-051121 or ssn: 07805-1121', [['SSN', '078-051121'], ['SSN', '07805-1121']]],
    ['078-051121 07805-1121', []], // a dash left out: only beside an SSN word
    ['078051121', []], // nine bare digits: 9 in 10 random ones are issuable, so never alone
    ['SSN 000-051121, 66605-1121', []],
    ['SSN 078-05-1123, ZIP 10001-1234', [['SSN', '078-05-1123']]],
    ['693-09.4444', []],
    ['666-12-3456 and 900-12-3456', []],
    ['release 123.45.6789', []],
  ];
  for (const [text, want] of cases) it(`finds ${JSON.stringify(want)} in ${JSON.stringify(text)}`, () => expect(found(text)).to.deep.equal(want));
});

describe('pseudonyms of the new types', () => {
  it('give one token per identifier however it is written, and restore the original', () => {
    const report = new MaskReport();
    const out = pseudonymizer().maskText('AHV 756.9217.0769.85 = 7569217076985; USt-IdNr. DE 136 695 976 and DE136695976', report);
    const tokens = out.match(/\[[A-Z_]+_[0-9a-f]{8}\]/gu)!;
    expect(tokens).to.have.length(4);
    expect(tokens[0]).to.match(/^\[NATIONAL_ID_/u);
    expect(tokens[0]).to.equal(tokens[1]);
    expect(tokens[2]).to.match(/^\[VAT_ID_/u);
    expect(tokens[2]).to.equal(tokens[3]);
    expect(report.restore?.get(tokens[0])).to.equal('756.9217.0769.85');
    expect(report.countsObject()).to.deep.equal({ NATIONAL_ID: 2, VAT_ID: 2 });
  });
});

// Session ids, request ids and keys are UUIDs and hex: a segment that happens to pass a check
// letter (one random UUID in about a thousand passed the IE PPSN letter) is not an identifier, and
// masking it broke the session of every SDK server that drew such an id.
describe('hyphenated tokens are not identifiers', () => {
  it('finds nothing in 20,000 UUIDs (deterministic pseudo-random)', () => {
    let state = 0x9e3779b9;
    const next = (): number => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (t ^ (t >>> 14)) >>> 0;
    };
    const hex = (n: number): string => Array.from({ length: n }, () => (next() % 16).toString(16)).join('');
    const uuids = Array.from({ length: 20_000 }, () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[next() % 4]}${hex(3)}-${hex(12)}`);
    // The generator does make segments of seven digits and a letter, which is what the check is about.
    expect(uuids.filter((u) => /^\d{7}[a-f]-/u.test(u)).length).to.be.greaterThan(100);
    expect(found(uuids.join('\n'))).to.deep.equal([]);
  });

  it('still finds a PPS number and a DNI standing alone', () => {
    expect(found('PPSN 1234567T, DNI 1234567-L')).to.not.deep.equal([]);
  });
});
