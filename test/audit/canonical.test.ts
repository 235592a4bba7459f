import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { canonicalJson, expectedHash } from '../../sidecar/audit/canonical.ts';
import { parseRecordLine } from '../../sidecar/audit/chain.ts';
import { GENESIS_PREV, InvalidAuditEntry, pickEntry, type AuditEntry } from '../../sidecar/audit/record.ts';
import { lineHash, lineOf, prepareEntry, seal } from '../../sidecar/audit/seal.ts';
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

  it('seals a record so that anyone can recompute its hash from the line alone (format 2: the line as written)', () => {
    const entry: AuditEntry = { kind: 'mcp', principal: { sub: 'agent-7' }, decision: 'allow', tool: 'lookup', masked: { EMAIL: 1 }, payload: { q: '[EMAIL_3fa9c2d1]' } };
    const sealed = seal(prepareEntry(pickEntry(entry), '2025-01-02T03:04:05.678Z'), 1, GENESIS_PREV);
    const { record } = sealed;
    const line = lineOf(sealed);
    // The documented definition, written out by hand: the line without its hash member.
    const hashed = `{"v":2,"kind":"mcp","principal":{"sub":"agent-7"},"decision":"allow","masked":{"EMAIL":1},"tool":"lookup","payload":{"q":"[EMAIL_3fa9c2d1]"},"time":"2025-01-02T03:04:05.678Z","seq":1,"prev":"${GENESIS_PREV}"}`;
    expect(record.hash).to.equal(sha(hashed));
    expect(line).to.equal(`${hashed.slice(0, -1)},"hash":"${record.hash}"}\n`);
    expect(lineHash(line.trimEnd())).to.equal(record.hash);
    expect(record).to.include({ seq: 1, prev: GENESIS_PREV, time: '2025-01-02T03:04:05.678Z' });
    expect(parseRecordLine(line.trimEnd())).to.have.property('record');
  });

  it('checks a format 2 line byte for byte: any edit, reordering or whitespace breaks it', () => {
    const line = lineOf(seal(prepareEntry(pickEntry({ kind: 'mcp', principal: { sub: 'a' }, decision: 'allow', masked: {}, payload: { b: 1, a: 2 } }), '2025-01-02T03:04:05.678Z'), 1, GENESIS_PREV));
    const text = line.trimEnd();
    const kind = (t: string): unknown => {
      const r = parseRecordLine(t);
      return 'problem' in r ? r.problem.kind : 'ok';
    };
    expect(kind(text)).to.equal('ok');
    // Same JSON value, other bytes: a format 2 hash is over the bytes, so these are edits.
    expect(kind(text.replace('{"b":1,"a":2}', '{"a":2,"b":1}'))).to.equal('hash');
    expect(kind(text.replace('"decision":"allow"', '"decision": "allow"'))).to.equal('hash');
    // Anything after the hash member, or a hash that is not the last member, is not what the writer wrote.
    expect(kind(`${text.slice(0, -1)},"x":1}`)).to.equal('malformed');
    expect(kind(`${text} `)).to.equal('malformed');
    expect(kind(text.replace('"v":2', '"v":3'))).to.equal('malformed');
    expect(kind(text.replace('"v":2,', ''))).to.equal('hash');
  });

  it('still verifies format 1 records (no "v"): hashed over RFC 8785 canonical JSON', () => {
    const unsealed = { decision: 'allow', kind: 'mcp', masked: { EMAIL: 1 }, payload: { q: '[EMAIL_3fa9c2d1]' }, prev: GENESIS_PREV, principal: { sub: 'agent-7' }, seq: 1, time: '2025-01-02T03:04:05.678Z', tool: 'lookup' };
    // A line as the format 1 writer wrote it: canonical members, then "hash" last.
    const hashed = `{"decision":"allow","kind":"mcp","masked":{"EMAIL":1},"payload":{"q":"[EMAIL_3fa9c2d1]"},"prev":"${GENESIS_PREV}","principal":{"sub":"agent-7"},"seq":1,"time":"2025-01-02T03:04:05.678Z","tool":"lookup"}`;
    expect(canonicalJson(unsealed)).to.equal(hashed);
    const line = `${hashed.slice(0, -1)},"hash":"${sha(hashed)}"}`;
    expect(expectedHash(JSON.parse(line))).to.equal(sha(hashed));
    expect(parseRecordLine(line)).to.deep.equal({ record: { seq: 1, prev: GENESIS_PREV, hash: sha(hashed), value: JSON.parse(line) } });
    // Format 1 is over the value, not the bytes: the members in another order verify too; an edited value does not.
    expect(parseRecordLine(JSON.stringify({ hash: sha(hashed), ...unsealed }))).to.have.property('record');
    const edited = parseRecordLine(line.replace('"decision":"allow"', '"decision":"deny"'));
    expect('problem' in edited && edited.problem.kind).to.equal('hash');
  });

  it('is not affected by changes the caller makes to its objects after append', () => {
    const payload = { q: 'a' };
    const prepared = prepareEntry(pickEntry({ kind: 'mcp', principal: { sub: 'x' }, decision: 'allow', masked: {}, payload }), '2025-01-01T00:00:00.000Z');
    payload.q = 'changed';
    expect(lineOf(seal(prepared, 1, GENESIS_PREV))).to.include('"q":"a"');
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
