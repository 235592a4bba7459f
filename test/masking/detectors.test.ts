import { expect } from 'chai';
import { found } from './helpers.ts';

/** Each case: text, and the [TYPE, value] findings expected in it (none for a negative). */
type Case = readonly [string, readonly (readonly [string, string])[]];

function check(cases: readonly Case[]): void {
  for (const [text, want] of cases) {
    it(`${want.length === 0 ? 'ignores' : 'finds'}: ${JSON.stringify(text).slice(0, 90)}`, () => {
      expect(found(text)).to.deep.equal(want.map(([t, v]) => [t, v]));
    });
  }
}

describe('masking detectors', () => {
  describe('EMAIL', () => {
    check([
      ['mail jane.doe+news@example.co.uk today', [['EMAIL', 'jane.doe+news@example.co.uk']]],
      ['<JANE@EXAMPLE.COM>', [['EMAIL', 'JANE@EXAMPLE.COM']]],
      ['end of sentence: a.b@c-d.io.', [['EMAIL', 'a.b@c-d.io']]],
      ["o'neil@example.ie", [['EMAIL', "o'neil@example.ie"]]],
      ["'quoted@example.org'", [['EMAIL', 'quoted@example.org']]],
      ['jörg@example.de', [['EMAIL', 'jörg@example.de']]],
      ['punycode a@xn--bcher-kva.example', [['EMAIL', 'a@xn--bcher-kva.example']]],
      ['@mention and user@localhost', []],
      ['lodash@4.17.21, icon@2x.png, @scope/pkg@1.2.3', []],
      ['git@github.com:org/repo.git', []],
      ['x@y.z', []],
      // Each edge of the one-pass walk around the '@': the TLD's letters, dots and escapes before the local part,
      // hyphens at a label's ends, and what may follow the domain.
      ['to a@example.xn--p1ai', [['EMAIL', 'a@example.xn--p1ai']]],
      ['Ünal.Öz@bücher.de', [['EMAIL', 'Ünal.Öz@bücher.de']]],
      ['..jane@example.com', [['EMAIL', 'jane@example.com']]],
      ['line\\njane@example.com', [['EMAIL', 'jane@example.com']]],
      ['\\n.a@example.com', [['EMAIL', 'a@example.com']]],
      ['mail a@b.example.com:', [['EMAIL', 'a@b.example.com']]],
      ['a@b.example.com: hello', [['EMAIL', 'a@b.example.com']]],
      ['a@example.c0m, jane.@example.com, a@-x.com, b@x-.com, ab@c.d.', []],
      ["a@example.com@b, a@example.com_x, logo@3x.svg, x'@example.com", []],
      ['x\\n@example.com', []],
      // A local part shaped like an identifier, an IBAN or a token is still the address's: the whole address is
      // masked, not the word before '@' with the domain left in clear. Without an address, the identifier stands.
      ['X1234567L@example.com', [['EMAIL', 'X1234567L@example.com']]],
      ['mail DE136695976@example.com now', [['EMAIL', 'DE136695976@example.com']]],
      ['RSSMRA85T10A562S@pec.it', [['EMAIL', 'RSSMRA85T10A562S@pec.it']]],
      ['ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com', [['EMAIL', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com']]],
      ['ID X1234567L@nohost', [['NATIONAL_ID', 'X1234567L']]],
    ]);
  });

  describe('PHONE', () => {
    check([
      ['+14155552671', [['PHONE', '+14155552671']]],
      ['call +44 (0)20 7946 0958 now', [['PHONE', '+44 (0)20 7946 0958']]],
      ['(415) 555-2671 or 415.555.2671', [['PHONE', '(415) 555-2671'], ['PHONE', '415.555.2671']]],
      ['1-800-555-0199', [['PHONE', '1-800-555-0199']]],
      ['030/1234567 and 0171 1234567', [['PHONE', '030/1234567'], ['PHONE', '0171 1234567']]],
      ['01 23 45 67 89 / 06.12.34.56.78', [['PHONE', '01 23 45 67 89'], ['PHONE', '06.12.34.56.78']]],
      ['0049 30 12345678', [['PHONE', '0049 30 12345678']]],
      ['(+49) 30 1234 5678', [['PHONE', '(+49) 30 1234 5678']]],
      ['612 34 56 78', [['PHONE', '612 34 56 78']]],
      ['Phone: 4155552671', [['PHONE', '4155552671']]],
      ['+44 20 7946 0958 24 hours', [['PHONE', '+44 20 7946 0958']]],
      ['4155552671 rows', []],
      ['2024-03-15 10:30:45, 15.03.2024, 03/15/2024', []],
      ['version 10.15.7 build 2.0.0-beta.1', []],
      ['ORD-2024-001234 and INV-555-123-4567', []],
      ['550e8400-e29b-41d4-a716-446655440000', []],
      ['ISBN 978-3-16-148410-0 and 0-306-40615-2', []],
      ['48.8566, 2.3522', []],
      ['04 11 23 35 42 48', []],
      ['Reference 0123 4567 8901 2345', []],
      ['+0 123 456 789', []],
      ['12 34 56 78 without a keyword', []],
      // A word for another number refuses the shape through '.', ':', tabs and no-break spaces; '::' is no such ending.
      ['Invoice.:\t (415) 555-2671', []],
      ['Konto\u00a00612 345 678', []],
      ['order:: 0612 345 678', [['PHONE', '0612 345 678']]],
      ['contact via 0171 9616659', [['PHONE', '0171 9616659']]],
    ]);
  });

  describe('CREDIT_CARD', () => {
    check([
      ['4111111111111111', [['CREDIT_CARD', '4111111111111111']]],
      ['4111 1111 1111 1111', [['CREDIT_CARD', '4111 1111 1111 1111']]],
      ['5500-0000-0000-0004', [['CREDIT_CARD', '5500-0000-0000-0004']]],
      ['amex 3782 822463 10005', [['CREDIT_CARD', '3782 822463 10005']]],
      ['diners 3056 930902 5904', [['CREDIT_CARD', '3056 930902 5904']]],
      ['2-series 2223000048400011', [['CREDIT_CARD', '2223000048400011']]],
      ['jcb 3530111333300000', [['CREDIT_CARD', '3530111333300000']]],
      ['4111 1111 1111 1112', []],
      ['1234567812345670', []],
      ['94111111111111111', []],
      ['4111-1111-1111', []],
      ['XXXX XXXX XXXX 1111', []],
      // After another number only a major brand's prefix makes the tail a card of its own.
      ['order 10023 4111 1111 1111 1111', [['CREDIT_CARD', '4111 1111 1111 1111']]],
      // An IBAN whose check fails (Presidio's negative): its account digits are not read as a card either.
      ['RS35 2600 0560 1001 6113 70', []],
      ['ref RS35 2600 0560 1001 6113', []],
      ['order 10023 6011 0009 9013 9424', [['CREDIT_CARD', '6011 0009 9013 9424']]],
      ['6906 7618 4844 720', [['CREDIT_CARD', '6906 7618 4844 720']]],
      ['IBAN AE77 5332 6906 7618 4844 720 (typo)', []],
      ['ref 55321 6906 7618 4844 720', []],
    ]);
  });

  describe('IBAN', () => {
    check([
      ['DE89 3704 0044 0532 0130 00', [['IBAN', 'DE89 3704 0044 0532 0130 00']]],
      ['GB29NWBK60161331926819', [['IBAN', 'GB29NWBK60161331926819']]],
      ['FR14 2004 1010 0505 0001 3M02 606', [['IBAN', 'FR14 2004 1010 0505 0001 3M02 606']]],
      ['NO9386011117947', [['IBAN', 'NO9386011117947']]],
      ['DE89-3704-0044-0532-0130-00', [['IBAN', 'DE89-3704-0044-0532-0130-00']]],
      ['de89370400440532013000', [['IBAN', 'de89370400440532013000']]],
      ['DE89 3704 0044 0532 0130 01', []],
      ['DE89 3704 0044 0532 0130', []],
      ['XX89 3704 0044 0532 0130 00', []],
      ['DEUTDEFF500 and DE123456789', []],
    ]);
  });

  describe('SSN', () => {
    check([
      ['SSN 123-45-6789', [['SSN', '123-45-6789']]],
      ['123 45 6789', [['SSN', '123 45 6789']]],
      ['social security number: 123456789', [['SSN', '123456789']]],
      ['000-12-3456 666-12-3456 912-34-5678', []],
      ['123-00-4567 123-45-0000', []],
      ['order 123456789', []],
      ['123-45-67890 and 123-45-6789-X', []],
    ]);
  });

  describe('IP_ADDRESS', () => {
    check([
      ['from 192.168.1.10:8080', [['IP_ADDRESS', '192.168.1.10']]],
      ['10.0.0.0/8', [['IP_ADDRESS', '10.0.0.0']]],
      ['2001:db8::1 and fe80::1%eth0', [['IP_ADDRESS', '2001:db8::1'], ['IP_ADDRESS', 'fe80::1']]],
      ['[2001:db8::7]:443', [['IP_ADDRESS', '2001:db8::7']]],
      ['::ffff:192.0.2.128', [['IP_ADDRESS', '::ffff:192.0.2.128']]],
      ['2001:0db8:85a3:0000:0000:8a2e:0370:7334.', [['IP_ADDRESS', '2001:0db8:85a3:0000:0000:8a2e:0370:7334']]],
      ['1.2.3.4.5 and 256.1.1.1 and 1.2.3', []],
      ['version 10.0.0.1, v1.2.3.4, release-1.2.3.4', []],
      ['OID 1.3.6.1.4.1.311', []],
      ['00:1A:2B:3C:4D:5E, 12:30:45, std::vector, a::b, ::', []],
      ['01.02.03.04', []],
    ]);
  });

  describe('SECRET', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';
    const accountKey = `${'Ab1+'.repeat(21)}Ab==`;
    check([
      [`key:\n${pem}\nend`, [['SECRET', pem]]],
      ['-----BEGIN PRIVATE KEY-----\nMIIEv (truncated', [['SECRET', '-----BEGIN PRIVATE KEY-----\nMIIEv (truncated']]],
      [`Bearer ${jwt}`, [['SECRET', jwt]]],
      [`token ${jwt}.`, [['SECRET', jwt]]],
      ['AKIAIOSFODNN7EXAMPLE', [['SECRET', 'AKIAIOSFODNN7EXAMPLE']]],
      [`ghp_${'a1'.repeat(18)}`, [['SECRET', `ghp_${'a1'.repeat(18)}`]]],
      [`github_pat_${'A'.repeat(22)}_${'b'.repeat(59)}`, [['SECRET', `github_pat_${'A'.repeat(22)}_${'b'.repeat(59)}`]]],
      ['xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', [['SECRET', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx']]],
      ['sk-proj-Ab3_dE6-gH9iJ2kL5mN8oP1qR4sT7uV0', [['SECRET', 'sk-proj-Ab3_dE6-gH9iJ2kL5mN8oP1qR4sT7uV0']]],
      ['sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2', [['SECRET', 'sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2']]],
      [`AccountName=acct;AccountKey=${accountKey};EndpointSuffix=core.windows.net`, [['SECRET', accountKey]]],
      ['https://a.blob.core.windows.net/c/b?sv=2022-11-02&se=2025-01-01&sp=r&sig=AbCdEf0123%2B456%3D', [['SECRET', 'AbCdEf0123%2B456%3D']]],
      ['password=hunter2&user=jane', [['SECRET', 'hunter2']]],
      ['"client_secret": "s3cr3t-value"', [['SECRET', 's3cr3t-value']]],
      ['Authorization: Basic dXNlcjpwYXNz', [['SECRET', 'dXNlcjpwYXNz']]],
      ['postgres://app:Pa55word@db:5432/x', [['SECRET', 'Pa55word']]],
      ['sk-learn, xoxo, ghp_short, AKIA1234', []],
      ['max_tokens=1000 token_count: 12 secretName: db', []],
      ['password: ******** password=${DB_PASSWORD} token: <your-token>', []],
      ['password: string; const password = process.env.DB_PASSWORD;', []],
      ['eyJmb28iOiJiYXIifQ.eyJhIjoxfQ.c2ln', []],
      ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', []],
      ['password: [SECRET] and token=[SECRET_0a1b2c3d]', []],
    ]);
  });

  describe('custom detectors', () => {
    it('finds policy patterns with their own TYPE', () => {
      expect(found('staff EMP-123456 and EMP-12345', [], [{ name: 'EMPLOYEE_ID', pattern: 'EMP-[0-9]{6}' }])).to.deep.equal([['EMPLOYEE_ID', 'EMP-123456']]);
    });
  });
});
