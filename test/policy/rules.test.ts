import { expect } from 'chai';
import { compileGlob, GlobSyntaxError } from '../../policy/glob.ts';
import { JsonPathSyntaxError, parseJsonPath, pathMatches } from '../../policy/jsonpath.ts';
import { compileSafeRegex, unsafeRegexReason } from '../../policy/safe-regex.ts';
import { closestMatches, didYouMean, editDistance } from '../../policy/suggest.ts';

describe('tool-name globs', () => {
  const cases: [string, string, boolean][] = [
    ['delete_*', 'delete_customer', true],
    ['delete_*', 'delete_', true],
    ['delete_*', 'undelete_customer', false],
    ['*_customer', 'get_customer', true],
    ['get_?', 'get_a', true],
    ['get_?', 'get_ab', false],
    ['export_[abc]*', 'export_b_table', true],
    ['export_[!abc]*', 'export_b_table', false],
    ['export_[a-c]', 'export_d', false],
    ['literal\\*', 'literal*', true],
    ['literal\\*', 'literalx', false],
    ['*', '', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['**', 'anything', true],
    ['db.query', 'db.query', true],
    ['db.query', 'dbXquery', false],
  ];
  for (const [glob, name, want] of cases) {
    it(`${glob} ${want ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => {
      expect(compileGlob(glob).matches(name)).to.equal(want);
    });
  }

  it('stays fast on long names with many stars (no regex backtracking)', () => {
    const glob = compileGlob('*a*a*a*a*a*a*a*a*b');
    expect(glob.matches('a'.repeat(5000))).to.equal(false);
  });

  it('rejects malformed globs', () => {
    for (const g of ['[abc', 'x\\', 'a]', '[]', 'x[z-a]']) expect(() => compileGlob(g), g).to.throw(GlobSyntaxError);
  });
});

describe('masking field paths', () => {
  it('parses the supported subset', () => {
    expect(parseJsonPath("$.customer['tax id'][0].x")).to.deep.equal([
      { kind: 'name', name: 'customer' },
      { kind: 'name', name: 'tax id' },
      { kind: 'index', index: 0 },
      { kind: 'name', name: 'x' },
    ]);
    expect(parseJsonPath('$..ssn')).to.deep.equal([{ kind: 'descendant', name: 'ssn' }]);
  });

  it('matches locations', () => {
    expect(pathMatches(parseJsonPath('$.customer.taxId'), ['customer', 'taxId'])).to.equal(true);
    expect(pathMatches(parseJsonPath('$.customer.taxId'), ['customer', 'taxId', 'x'])).to.equal(false);
    expect(pathMatches(parseJsonPath('$.items[*].iban'), ['items', 3, 'iban'])).to.equal(true);
    expect(pathMatches(parseJsonPath('$..ssn'), ['a', 0, 'b', 'ssn'])).to.equal(true);
    expect(pathMatches(parseJsonPath('$..ssn'), ['ssn'])).to.equal(true);
    expect(pathMatches(parseJsonPath('$..person.ssn'), ['x', 'person', 'ssn'])).to.equal(true);
    expect(pathMatches(parseJsonPath('$..person.ssn'), ['x', 'person', 'y', 'ssn'])).to.equal(false);
    expect(pathMatches(parseJsonPath('$.a[1]'), ['a', 0])).to.equal(false);
  });

  it('rejects what it does not support', () => {
    for (const p of ['a.b', '$', '$.a[?(@.x)]', '$.a[1:2]', '$.', '$[unquoted]', "$['open"]) {
      expect(() => parseJsonPath(p), p).to.throw(JsonPathSyntaxError);
    }
  });
});

describe('custom pattern safety', () => {
  it('accepts ordinary patterns', () => {
    for (const p of ['EMP-[0-9]{6}', '\\bPRJ-\\d{4,8}\\b', '[A-Z]{2}[0-9]{7}', '(?:foo|bar)-[a-z]+']) expect(unsafeRegexReason(p), p).to.equal(undefined);
  });

  it('bounds a catastrophic pattern on a long hostile input (linear-time fallback)', () => {
    // (a+)+$ is linear-engine compatible, so it is accepted and V8 falls back to the linear
    // engine instead of backtracking 2^n times. Without the fallback this would not finish.
    const re = compileSafeRegex('(a+)+$');
    const started = process.hrtime.bigint();
    expect(re.exec(`${'a'.repeat(100_000)}!`)).to.equal(null);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    expect(ms).to.be.below(5000);
  });

  it('refuses what the linear engine cannot run, with the reason', () => {
    expect(unsafeRegexReason('(x)\\1')).to.match(/backreference/);
    expect(unsafeRegexReason('(?!a)b')).to.match(/lookahead/);
    expect(unsafeRegexReason('x{1,500}')).to.match(/exceeds the limit/);
    expect(unsafeRegexReason('(')).to.match(/invalid regular expression/);
    expect(unsafeRegexReason('a?')).to.match(/empty string/);
    expect(() => compileSafeRegex('(x)\\1')).to.throw(/unsafe pattern/);
  });
});

describe('did you mean', () => {
  it('measures transpositions as one edit', () => {
    expect(editDistance('tools', 'tolos')).to.equal(1);
    expect(editDistance('', 'abc')).to.equal(3);
  });
  it('suggests only close candidates, nearest first', () => {
    expect(closestMatches('creditcard', ['creditCard', 'iban', 'email'])).to.deep.equal(['creditCard']);
    expect(closestMatches('zzzz', ['creditCard', 'iban'])).to.deep.equal([]);
    expect(didYouMean(['a', 'b', 'c'])).to.equal('; did you mean "a", "b" or "c"?');
    expect(didYouMean([])).to.equal('');
  });
});
