import { expect } from 'chai';
import { codeAt, isAlnumCode, isWordCode } from '../../sidecar/masking/chars.ts';

// Detectors pass charCodeAt past the end (NaN) and codeAt's -1 to the class tests: both must be
// refused, as before the tests checked for them, while every real code keeps its class.
describe('masking: character classes', () => {
  it('refuses NaN and -1', () => {
    for (const c of [Number.NaN, -1, 'ab'.charCodeAt(5), codeAt('ab', 5)]) {
      expect(isWordCode(c)).to.equal(false);
      expect(isAlnumCode(c)).to.equal(false);
    }
  });

  it('keeps the classes of ASCII and other scripts', () => {
    expect(['a', 'Z', '7', '_', 'ß', 'Ł', '٣', 'é'].map((ch) => isWordCode(ch.charCodeAt(0)))).to.deep.equal([true, true, true, true, true, true, true, true]);
    expect(['_', ' ', '-', '@', '\u2019', '\ud83d'].map((ch) => isAlnumCode(ch.charCodeAt(0)))).to.deep.equal([false, false, false, false, false, false]);
  });
});
