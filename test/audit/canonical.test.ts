import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { canonicalJson, expectedHash, prepareEntry, seal } from '../../sidecar/audit/canonical.ts';
import { GENESIS_PREV, InvalidAuditEntry, pickEntry, type AuditEntry } from '../../sidecar/audit/record.ts';
import { CANARY, entryWithCanary } from './support/helpers.ts';

const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

describe('audit canonical form and hash', () => {
  it('sorts keys by UTF-16 code units, drops whitespace and writes numbers as ECMAScript does (RFC 8785)', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], A: { z: 1.5, y: -0, x: 1e21 } })).to.equal('{"A":{"x":1e+21,"y":0,"z":1.5},"a":[true,null,"x"],"b":1}');
    // Code-unit order puts "\u00e9" after "z", and an astral character (a surrogate pair) before "\uffff".
    expect(canonicalJson({ z: 1, é: 2, '\u{1f600}': 3, '\uffff': 4 })).to.equal('{"z":1,"é":2,"\u{1f600}":3,"\uffff":4}');
    expect(canonicalJson('line\nbreak "q" \u0001')).to.equal('"line\\nbreak \\"q\\" \\u0001"');
    expect(() => canonicalJson({ n: Number.NaN })).to.throw(TypeError);
  });

  it('seals a record so that anyone can recompute its hash from the line alone', () => {
    const entry: AuditEntry = { kind: 'mcp', principal: { sub: 'agent-7' }, decision: 'allow', tool: 'lookup', masked: { EMAIL: 1 }, payload: { q: '[EMAIL_3fa9c2d1]' } };
    const { record, line } = seal(prepareEntry(pickEntry(entry), '2025-01-02T03:04:05.678Z'), 1, GENESIS_PREV);
    // The documented definition, written out by hand: JCS of the record without "hash".
    const hashed = `{"decision":"allow","kind":"mcp","masked":{"EMAIL":1},"payload":{"q":"[EMAIL_3fa9c2d1]"},"prev":"${GENESIS_PREV}","principal":{"sub":"agent-7"},"seq":1,"time":"2025-01-02T03:04:05.678Z","tool":"lookup"}`;
    expect(record.hash).to.equal(sha(hashed));
    expect(line).to.equal(`${hashed.slice(0, -1)},"hash":"${record.hash}"}\n`);
    expect(expectedHash(JSON.parse(line))).to.equal(record.hash);
    expect(record).to.include({ seq: 1, prev: GENESIS_PREV, time: '2025-01-02T03:04:05.678Z' });
  });

  it('is not affected by changes the caller makes to its objects after append', () => {
    const payload = { q: 'a' };
    const prepared = prepareEntry(pickEntry({ kind: 'mcp', principal: { sub: 'x' }, decision: 'allow', masked: {}, payload }), '2025-01-01T00:00:00.000Z');
    payload.q = 'changed';
    expect(seal(prepared, 1, GENESIS_PREV).line).to.include('"q":"a"');
  });

  it('keeps only the fields an entry has: values smuggled in other fields are dropped', () => {
    const picked = pickEntry(entryWithCanary(1));
    expect(JSON.stringify(picked)).to.not.include(CANARY);
    expect(picked.principal).to.have.all.keys('sub', 'issuer', 'groups');
  });

  it('rejects entries a caller got wrong, naming the field', () => {
    const base = { kind: 'mcp', principal: { sub: 'x' }, decision: 'allow', masked: {} } as AuditEntry;
    const bad = (e: unknown): (() => unknown) => () => pickEntry(e as AuditEntry);
    expect(bad({ ...base, kind: 'other' })).to.throw(InvalidAuditEntry, /kind/);
    expect(bad({ ...base, decision: 'maybe' })).to.throw(InvalidAuditEntry, /decision/);
    expect(bad({ ...base, principal: {} })).to.throw(InvalidAuditEntry, /principal.sub/);
    expect(bad({ ...base, masked: { EMAIL: -1 } })).to.throw(InvalidAuditEntry, /masked.EMAIL/);
    expect(bad({ ...base, durationMs: Number.POSITIVE_INFINITY })).to.throw(InvalidAuditEntry, /durationMs/);
    expect(bad({ ...base, payload: { when: new Date() } })).to.throw(InvalidAuditEntry, /payload.when/);
    const sparse: number[] = [];
    sparse[0] = 1;
    sparse[2] = 3;
    expect(bad({ ...base, payload: { a: sparse } })).to.throw(InvalidAuditEntry, /payload.a\[1\]/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(bad({ ...base, payload: cyclic })).to.throw(InvalidAuditEntry, /too deeply/);
  });
});
