import { expect } from 'chai';
import { cp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson, expectedHash } from '../../sidecar/audit/canonical.ts';
import { openAuditLog } from '../../sidecar/audit/log.ts';
import { GENESIS_PREV, pickEntry } from '../../sidecar/audit/record.ts';
import { lineHash } from '../../sidecar/audit/seal.ts';
import { verifyAuditDir } from '../../sidecar/audit/verify.ts';
import { audit } from './support/cli.ts';
import { cleanupDirs, maskedEntry, tempDir } from './support/helpers.ts';

const SEG1 = 'audit-0000000000000001.jsonl';

describe('mcp-residency audit verify', () => {
  let pristine: string;
  let segments: string[];

  before(async () => {
    pristine = await tempDir();
    const log = await openAuditLog({ dir: pristine, segmentMaxBytes: 6000 });
    for (let i = 0; i < 30; i++) await log.append(maskedEntry(i));
    await log.close();
    segments = (await readdir(pristine)).filter((n) => n.endsWith('.jsonl')).sort();
    expect(segments.length).to.be.at.least(3);
  });
  after(cleanupDirs);

  /** A copy of the pristine log with `edit` applied to the lines of one segment. */
  async function tampered(segment: string, edit: (lines: string[]) => string[]): Promise<string> {
    const dir = await tempDir();
    await cp(pristine, dir, { recursive: true });
    const file = join(dir, segment);
    const lines = (await readFile(file, 'utf8')).split('\n').slice(0, -1);
    await writeFile(file, `${edit(lines).join('\n')}\n`);
    return dir;
  }

  const setDecision = (line: string, d: string): string => line.replace(/"decision":"[a-z]+"/u, `"decision":"${d}"`);
  /** What a forger who knows the algorithm writes: the edited line with its hash recomputed. */
  const rehash = (line: string): string => `${line.slice(0, line.lastIndexOf(',"hash":'))},"hash":"${lineHash(line)}"}`;

  it('exits 0 for an intact log and says what it checked', async () => {
    const r = await audit(['verify', pristine]);
    expect(r).to.deep.include({ code: 0, stderr: '' });
    expect(r.stdout).to.equal(`${pristine}: intact: 30 records in ${segments.length} segments, seq 1..30\n`);
  });

  const cases: [string, () => Promise<string>, RegExp][] = [
    ['an edited record (hash mismatch)', () => tampered(SEG1, (l) => l.map((x, i) => (i === 4 ? setDecision(x, 'approved') : x))), new RegExp(`/${SEG1}:5: seq 5: hash mismatch: the record was edited`)],
    [
      'an edited and re-hashed record (the next prev breaks)',
      () => tampered(SEG1, (l) => l.map((x, i) => (i === 4 ? rehash(setDecision(x, 'approved')) : x))),
      new RegExp(`/${SEG1}:6: seq 6: prev mismatch: prev is not the hash of seq 5 \\(${SEG1}:5\\)`),
    ],
    ['a deleted record (seq gap)', () => tampered(SEG1, (l) => l.filter((_, i) => i !== 4)), new RegExp(`/${SEG1}:5: seq 6: seq gap: expected seq 5, found 6: record 5 is missing`)],
    ['two records swapped', () => tampered(SEG1, (l) => [...l.slice(0, 4), l[5]!, l[4]!, ...l.slice(6)]), new RegExp(`/${SEG1}:5: seq 6: seq gap: expected seq 5, found 6`)],
    ['a record inserted twice', () => tampered(SEG1, (l) => [...l.slice(0, 4), l[2]!, ...l.slice(4)]), new RegExp(`/${SEG1}:5: seq 3: seq out of order: expected seq 5, found 3`)],
    ['a forged record inserted with a valid hash', () => tampered(SEG1, (l) => [...l.slice(0, 4), rehash(l[3]!.replace('"seq":4', '"seq":5')), ...l.slice(4)]), new RegExp(`/${SEG1}:5: seq 5: prev mismatch`)],
    ['a garbage line', () => tampered(SEG1, (l) => l.map((x, i) => (i === 2 ? `#${x.slice(1)}` : x))), new RegExp(`/${SEG1}:3: not valid JSON`)],
  ];
  for (const [what, make, message] of cases) {
    it(`exits 1 and names the first bad record for ${what}`, async () => {
      const dir = await make();
      const r = await audit(['verify', dir]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(message);
      expect(r.stderr.split('\n').filter(Boolean)).to.have.length(1);
      expect(r.stdout).to.match(/NOT intact; \d+ records verified before the problem/u);
    });
  }

  it('catches a deleted middle segment', async () => {
    const dir = await tempDir();
    await cp(pristine, dir, { recursive: true });
    await rm(join(dir, segments[1]!));
    const r = await audit(['verify', dir]);
    expect(r.code).to.equal(1);
    const first3 = Number(/audit-(\d+)/u.exec(segments[2]!)![1]);
    const first2 = Number(/audit-(\d+)/u.exec(segments[1]!)![1]);
    expect(r.stderr).to.include(`${segments[2]}:1: seq ${first3}: seq gap: expected seq ${first2}, found ${first3}`);
  });

  it('catches deleted oldest segments that retention did not remove (no anchor)', async () => {
    const dir = await tempDir();
    await cp(pristine, dir, { recursive: true });
    await rm(join(dir, segments[0]!));
    const r = await audit(['verify', dir]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/no retention anchor \(anchor\.json\) accounts for records 1\.\./u);
  });

  it('catches a truncated segment that is not the newest', async () => {
    const dir = await tempDir();
    await cp(pristine, dir, { recursive: true });
    const file = join(dir, segments[0]!);
    await truncate(file, (await readFile(file)).length - 40);
    const r = await audit(['verify', dir]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/incomplete last line in a segment that is not the newest: the file was truncated/u);
  });

  it('accepts a torn tail on the newest segment (a crash), with a note', async () => {
    const dir = await tempDir();
    await cp(pristine, dir, { recursive: true });
    const file = join(dir, segments.at(-1)!);
    await truncate(file, (await readFile(file)).length - 40);
    const r = await audit(['verify', dir]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/intact: 29 records/u);
    expect(r.stderr).to.match(/note: .*ends with an incomplete line of \d+ bytes after seq 29 \(a write torn by a crash/u);
  });

  it('catches a segment renamed out of place', async () => {
    const dir = await tempDir();
    await cp(pristine, dir, { recursive: true });
    const last = segments.at(-1)!;
    await cp(join(dir, last), join(dir, 'audit-0000000000000999.jsonl'));
    await rm(join(dir, last));
    const r = await verifyAuditDir(dir);
    expect(r.ok).to.equal(false);
    expect(r.problem).to.include({ kind: 'segment', file: 'audit-0000000000000999.jsonl', line: 1 });
  });

  it('verifies a log a format 1 writer began (records hashed over canonical JSON) and this writer continued', async () => {
    const dir = await tempDir();
    // Three records as a sidecar before format 2 wrote them (recent: retention keeps them), canonical, "hash" last.
    let prev = GENESIS_PREV;
    const lines: string[] = [];
    for (let seq = 1; seq <= 3; seq++) {
      const hashed = canonicalJson({ ...pickEntry(maskedEntry(seq)), seq, prev, time: new Date().toISOString() });
      const hash = expectedHash(JSON.parse(hashed));
      lines.push(`${hashed.slice(0, -1)},"hash":"${hash}"}\n`);
      prev = hash;
    }
    await writeFile(join(dir, SEG1), lines.join(''));
    const log = await openAuditLog({ dir });
    for (let i = 0; i < 3; i++) await log.append(maskedEntry(i));
    await log.close();
    const written = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
    expect(written).to.have.length(2);
    expect(await readFile(join(dir, written[1]!), 'utf8')).to.match(/^\{"v":2,/u);
    const r = await audit(['verify', dir]);
    expect(r).to.deep.include({ code: 0, stderr: '' });
    expect(r.stdout).to.match(/intact: 6 records in 2 segments, seq 1\.\.6/u);
    // An edit to a format 1 record still shows.
    await writeFile(join(dir, SEG1), lines.join('').replace('"decision":"allow"', '"decision":"deny"'));
    const edited = await audit(['verify', dir]);
    expect(edited.code).to.equal(1);
    expect(edited.stderr).to.match(new RegExp(`/${SEG1}:1: seq 1: hash mismatch`));
  });

  it('reports a missing directory plainly', async () => {
    const r = await audit(['verify', join(pristine, 'nope')]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`mcp-residency: ${join(pristine, 'nope')}: no such directory\n`);
  });
});
