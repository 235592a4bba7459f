import { expect } from 'chai';
import { isWholeIsoDate } from '../../sidecar/masking/number-shapes.ts';
import { found } from './helpers.ts';

// The scanner skips a value that isWholeIsoDate accepts without reading it: everything it
// accepts must be a value in which the scan finds nothing, and anything with more in it must
// be refused so that it is scanned.
describe('masking: whole ISO dates', () => {
  const whole = ['2024-03-15', '2024-03-15T10:30', '2024-03-15T10:30:00Z', '2023-10-27T04:01:00.685Z', '2024-03-15 10:30+01:00', '1985-03-12T00:00:00.123456-05:00'];
  for (const s of whole) {
    it(`accepts ${s}, in which the scan finds nothing`, () => {
      expect(isWholeIsoDate(s)).to.equal(true);
      expect(found(s)).to.deep.equal([]);
    });
  }

  const more: [string, [string, string][]][] = [
    ['2024-03-15 4111 1111 1111 1111', [['CREDIT_CARD', '4111 1111 1111 1111']]],
    ['2024-03-15T10:30:00Z jane@example.com', [['EMAIL', 'jane@example.com']]],
    ['DOB: 1985-03-12', [['DATE_OF_BIRTH', '1985-03-12']]],
    ['2024-03-15T10:30:00Z\n', []],
    ['2024-03-15T10:30:00z', []],
    ['2024/03/15', []],
    ['2024-03-1', []],
    ['12.03.1985', []],
  ];
  for (const [s, want] of more) {
    it(`refuses ${JSON.stringify(s)}, which is scanned`, () => {
      expect(isWholeIsoDate(s)).to.equal(false);
      expect(found(s)).to.deep.equal(want);
    });
  }
});
