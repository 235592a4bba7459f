import { expect } from 'chai';
import { restoreText, TokenMap } from '../../sidecar/egress/restore.ts';
import { MaskReport } from '../../sidecar/masking/engine.ts';
import { foldKey, peopleKeyBits } from '../../sidecar/masking/people/keys.ts';
import { parseLexicon, R_GIVEN, R_PARTICLE, R_SURNAME, rolesOfWord } from '../../sidecar/masking/people/lexicon.ts';
import { found, pseudonymizer, redactor } from './helpers.ts';

describe('people: PERSON, ADDRESS, DATE_OF_BIRTH', () => {
  describe('PERSON in prose', () => {
    const cases: [string, string[]][] = [
      ['Dear Ms Jensen, thank you.', ['Jensen']],
      ['Sehr geehrte Frau Müller, vielen Dank.', ['Müller']],
      ['Frau Dr. Weber hat angerufen.', ['Weber']],
      ['Mme Dubois et M. Dupont ont signé.', ['Dubois', 'Dupont']],
      ['Ticket assigned to Lars Jensen.', ['Lars Jensen']],
      ['Jane A. Doe approved it.', ['Jane A. Doe']],
      ['Anna van der Berg called.', ['Anna van der Berg']],
      ['Jensen, Lars called back.', ['Jensen, Lars']],
      ['signed Anna', ['Anna']],
      ['Łukasz Kowalski and Øystein Berg met.', ['Łukasz Kowalski', 'Øystein Berg']],
      ['Rupert Doe joined.', ['Rupert Doe']],
    ];
    for (const [text, names] of cases) {
      it(`finds ${JSON.stringify(names)} in ${JSON.stringify(text)}`, () => {
        expect(found(text).filter(([t]) => t === 'PERSON').map(([, v]) => v)).to.deep.equal(names);
      });
    }
    const negatives = [
      'Paris is lovely in May.',
      'Julia Computing released Julia 1.10.',
      'Georg Fischer AG reported results.',
      'Louis Vuitton opened a store.',
      'Run Anna.init() before Lars.start().',
      'AnnaSmith and anna_smith are fixtures.',
      '## Release Notes',
      'Will you grant access? Mark as read.',
      'Victoria Station closed on Monday.',
    ];
    for (const text of negatives) {
      it(`leaves ${JSON.stringify(text)} alone`, () => {
        expect(found(text)).to.deep.equal([]);
      });
    }
  });

  describe('ADDRESS and DATE_OF_BIRTH in prose', () => {
    it('finds a street with its house number, postcode and town', () => {
      expect(found('Ship to Hauptstraße 5, 10115 Berlin today.')).to.deep.equal([['ADDRESS', 'Hauptstraße 5, 10115 Berlin']]);
      expect(found('At 221B Baker Street, London NW1 6XE.')).to.deep.equal([['ADDRESS', '221B Baker Street, London NW1 6XE']]);
      expect(found('12 rue de la Paix, 75002 Paris')).to.deep.equal([['ADDRESS', '12 rue de la Paix, 75002 Paris']]);
      expect(found('ul. Marszałkowska 84, 00-514 Warszawa')).to.deep.equal([['ADDRESS', 'ul. Marszałkowska 84, 00-514 Warszawa']]);
    });

    it('leaves numbers that are not house numbers alone', () => {
      for (const text of ['Gate 5 is boarding.', 'Windows 11 and Route 66.', 'Version 3.2.1 of Spring 2024.', 'see section 4 and items 1-4', '10115 Berlin']) {
        expect(found(text), text).to.deep.equal([]);
      }
    });

    it('finds a date only near a birth word', () => {
      expect(found('born on 12 March 1985 in Lyon')).to.deep.equal([['DATE_OF_BIRTH', '12 March 1985']]);
      expect(found('DOB: 1985-03-12')).to.deep.equal([['DATE_OF_BIRTH', '1985-03-12']]);
      expect(found('geboren am 03.04.1979')).to.deep.equal([['DATE_OF_BIRTH', '03.04.1979']]);
      expect(found('syntynyt 6.12.1985')).to.deep.equal([['DATE_OF_BIRTH', '6.12.1985']]);
      expect(found('Created on 2024-03-12, due 12 March 2024, NATO summit on 2024-07-09.')).to.deep.equal([]);
    });

    it('runs only the detectors the policy lists', () => {
      expect(found('Dear Ms Jensen, born on 12 March 1985', ['email'])).to.deep.equal([]);
      expect(found('Dear Ms Jensen, born on 12 March 1985', ['person'])).to.deep.equal([['PERSON', 'Jensen']]);
    });
  });

  describe('record keys', () => {
    it('folds case styles and languages to one key', () => {
      for (const k of ['firstName', 'first_name', 'FIRST-NAME', 'FirstName', 'Vorname', 'prénom', 'PRENOM', 'apellidos', 'cognome', 'achternaam', 'nazwisko', 'efternavn', 'sukunimi']) {
        expect(peopleKeyBits(k), k).to.not.equal(0);
      }
      expect(foldKey('Fødselsdato')).to.equal('fodselsdato');
      for (const k of ['productName', 'toolName', 'fileName', 'hostname', 'ipAddress', 'emailAddress', 'macAddress', 'username', 'className']) {
        expect(peopleKeyBits(k), k).to.equal(0);
      }
    });

    it('masks values under personal-data keys whole, by the value shape', () => {
      const m = redactor();
      const out = JSON.parse(
        m.maskJsonText(
          JSON.stringify({
            customer: { name: 'Jane Doe', lastName: 'Quintanilla', street: 'Hauptstraße 5', plz: '10115', dob: '1985-03-12', zip: 10115 },
            plan: { name: 'Pro plan' },
            file: { name: 'report.pdf' },
            resource: { name: 'Customer Records' },
            city: { name: 'Paris' },
          }),
        ),
      ) as Record<string, Record<string, unknown>>;
      expect(out.customer).to.deep.equal({ name: '[PERSON]', lastName: '[PERSON]', street: '[ADDRESS]', plz: '[ADDRESS]', dob: '[DATE_OF_BIRTH]', zip: '[ADDRESS]' });
      expect([out.plan!.name, out.file!.name, out.resource!.name, out.city!.name]).to.deep.equal(['Pro plan', 'report.pdf', 'Customer Records', 'Paris']);
    });

    it('reads a generic name key as a person in a record that has a lastName (parsed and text alike)', () => {
      const rec = { nome: 'Ottavio', cognome: 'Cavalcanti' };
      expect(redactor().maskJson(rec)).to.deep.equal({ nome: '[PERSON]', cognome: '[PERSON]' });
      expect(redactor().maskJsonText(JSON.stringify(rec))).to.equal('{"nome":"[PERSON]","cognome":"[PERSON]"}');
      expect(redactor().maskJsonText('{"nome":"Ottavio","tipo":"utente"}')).to.equal('{"nome":"Ottavio","tipo":"utente"}');
    });

    it('reads an unknown capitalised name as a person only in a record about a person', () => {
      expect(redactor().maskJsonText('{"name":"Ximena Echeverría","email":"x@example.com"}')).to.equal('{"name":"[PERSON]","email":"[EMAIL]"}');
      expect(redactor().maskJson({ name: 'Ximena Echeverría', email: 'x@example.com' })).to.deep.equal({ name: '[PERSON]', email: '[EMAIL]' });
      expect(redactor().maskJson({ name: 'Ximena Echeverría', plan: 'pro' })).to.deep.equal({ name: 'Ximena Echeverría', plan: 'pro' });
      expect(redactor().maskJson(['Ximena Echeverría'])).to.deep.equal(['Ximena Echeverría']);
      const server = '{"serverInfo":{"name":"Github Mcp","version":"1.0.0"},"resources":[{"name":"Quarterly Figures","uri":"crm://q"}]}';
      expect(redactor().maskJsonText(server)).to.equal(server);
      expect(redactor().maskJson(JSON.parse(server))).to.deep.equal(JSON.parse(server));
    });

    it('masks a tax ID by its key as NATIONAL_ID only when that detector is on', () => {
      expect(redactor({ detectors: ['person'] }).maskJsonText('{"taxId":"12345678901"}')).to.equal('{"taxId":"12345678901"}');
      const withNationalId = redactor({ detectors: ['person', 'nationalId'] });
      expect(withNationalId.maskJsonText('{"taxId":"12345678901","steuerId":"X","nif":"12345678Z"}')).to.equal('{"taxId":"[NATIONAL_ID]","steuerId":"X","nif":"[NATIONAL_ID]"}');
    });
  });

  describe('pseudonyms', () => {
    it('gives one token to a name however it is written, and restores it in egress', () => {
      const m = pseudonymizer();
      const report = new MaskReport();
      const a = m.maskJsonText('{"name":"Jane Doe"}', report);
      const b = m.maskJsonText('{"fullName":"JANE   DOE"}');
      const token = /\[PERSON_[0-9a-f]{8}\]/u.exec(a)![0];
      expect(b).to.include(token);
      expect(m.pseudonym('PERSON', 'jäne doe')).to.equal(token);
      const answer = `The customer ${token} lives in Berlin.`;
      expect(restoreText(answer, new TokenMap(report.restore!), 'none')).to.equal('The customer Jane Doe lives in Berlin.');
    });
  });

  describe('lexicon', () => {
    it('loads names with roles, particles from compound surnames, and rejects a bad line', () => {
      expect(rolesOfWord('Lars') & R_GIVEN).to.not.equal(0);
      expect(rolesOfWord('MÜLLER') & R_SURNAME).to.not.equal(0);
      expect(rolesOfWord('Berlin')).to.equal(0);
      expect(rolesOfWord('van') & R_PARTICLE).to.not.equal(0);
      const lex = parseLexicon('# c\nS\tvan-dijk\nG\tlars-erik\n');
      expect(lex.size).to.equal(4);
      expect(() => parseLexicon('Q\tx\n')).to.throw(/bad line/u);
    });
  });
});
