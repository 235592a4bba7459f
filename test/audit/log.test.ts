import { expect } from 'chai';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAuditRecords } from '../../sidecar/audit/layout.ts';
import { AuditLogCorrupt, AuditWriteError, openAuditLog } from '../../sidecar/audit/log.ts';
import { GENESIS_PREV, InvalidAuditEntry } from '../../sidecar/audit/record.ts';
import { verifyAuditDir } from '../../sidecar/audit/verify.ts';
import { allFiles, CANARY, cleanupDirs, entryWithCanary, leaks, maskedEntry, RAW_FORMS, tempDir } from './support/helpers.ts';

describe('audit log: append, durability policies, segments', () => {
  after(cleanupDirs);

  for (const durability of [{ mode: 'fsync' }, { mode: 'group', intervalMs: 15 }] as const) {
    it(`${durability.mode}: concurrent appends get consecutive seqs in call order, chained, on disk when they resolve`, async () => {
      const dir = await tempDir();
      const log = await openAuditLog({ dir, durability });
      const flushes: number[] = [];
      log.onDurable((seq) => flushes.push(seq));
      const records = await Promise.all(Array.from({ length: 40 }, (_, i) => log.append(maskedEntry(i))));
      expect(records.map((r) => r.seq)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(records.map((r) => r.tool)).to.deep.equal(Array.from({ length: 40 }, (_, i) => `lookup_${i % 3}`));
      expect(records[0]!.prev).to.equal(GENESIS_PREV);
      for (let i = 1; i < records.length; i++) expect(records[i]!.prev).to.equal(records[i - 1]!.hash);
      // A burst shares fsyncs: far fewer flushes than records.
      expect(flushes.length).to.be.below(5);
      // Resolved means written: a reader sees every record at once.
      const onDisk = await readAuditRecords(dir);
      expect(onDisk.map((r) => r.hash)).to.deep.equal(records.map((r) => r.hash));
      expect(log.lastSeq()).to.equal(40);
      expect(log.health()).to.deep.equal({ ok: true });
      await log.close();
    });
  }

  it('group: an append waits for the next shared flush, up to intervalMs', async () => {
    const log = await openAuditLog({ dir: await tempDir(), durability: { mode: 'group', intervalMs: 80 } });
    const t0 = performance.now();
    await log.append(maskedEntry(1));
    expect(performance.now() - t0).to.be.at.least(70);
    await log.close();
  });

  it('rotates segments by size and by age; the chain runs across them and across restarts', async () => {
    const dir = await tempDir();
    let now = Date.parse('2025-01-01T00:00:00Z');
    const log = await openAuditLog({ dir, segmentMaxBytes: 3000, segmentMaxAgeMs: 60_000, now: () => now });
    for (let i = 0; i < 12; i++) await log.append(maskedEntry(i));
    const bySize = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
    expect(bySize.length).to.be.at.least(3);
    now += 61_000;
    const r = await log.append(maskedEntry(12));
    await log.close();
    expect(await readdir(dir)).to.include(`audit-${String(r.seq).padStart(16, '0')}.jsonl`);

    // Same clock: retention (7 days by default) ages records by their own time.
    const again = await openAuditLog({ dir, now: () => now });
    const next = await again.append(maskedEntry(13));
    expect(next.seq).to.equal(14);
    expect(next.prev).to.equal(r.hash);
    await again.close();
    // Every process starts its own segment.
    expect(await readdir(dir)).to.include('audit-0000000000000014.jsonl');
    const v = await verifyAuditDir(dir);
    expect(v).to.include({ ok: true, records: 14, firstSeq: 1, lastSeq: 14 });
    // Each segment is named after its first record.
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.jsonl'))) {
      const first = JSON.parse((await readFile(join(dir, name), 'utf8')).split('\n')[0]!);
      expect(name).to.equal(`audit-${String(first.seq).padStart(16, '0')}.jsonl`);
    }
  });

  it('writes only the fields it owns and never a raw value of a detected type', async () => {
    const dir = await tempDir();
    const log = await openAuditLog({ dir });
    for (let i = 0; i < 10; i++) await log.append(i % 2 ? entryWithCanary(i) : maskedEntry(i));
    await log.close();
    const files = await allFiles(dir);
    expect(leaks(files, [CANARY, ...RAW_FORMS])).to.deep.equal([]);
    // ... while the masked tokens and counts are there.
    const text = files.map((f) => f.text).join('');
    expect(text).to.match(/\[EMAIL_[0-9a-f]{8}\]/);
    expect(text).to.include('"masked":{"CREDIT_CARD":1,');
  });

  it('rejects an invalid entry without touching the log or its health', async () => {
    const log = await openAuditLog({ dir: await tempDir() });
    await log.append(maskedEntry(1));
    let err: unknown;
    try {
      await log.append({ ...maskedEntry(2), decision: 'perhaps' as 'allow' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(InvalidAuditEntry);
    expect(log.health().ok).to.equal(true);
    expect((await log.append(maskedEntry(3))).seq).to.equal(2);
    await log.close();
  });

  it('flushes pending group appends on close, then refuses appends', async () => {
    const log = await openAuditLog({ dir: await tempDir(), durability: { mode: 'group', intervalMs: 10_000 } });
    const pending = log.append(maskedEntry(1));
    await log.close();
    expect((await pending).seq).to.equal(1);
    let err: unknown;
    try {
      await log.append(maskedEntry(2));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(AuditWriteError).with.property('code', 'CLOSED');
    expect(log.health()).to.deep.equal({ ok: false, reason: 'audit log closed' });
  });

  it('refuses to extend a chain whose last record does not verify', async () => {
    const dir = await tempDir();
    const log = await openAuditLog({ dir });
    await log.append(maskedEntry(1));
    await log.append(maskedEntry(2));
    await log.close();
    const seg = join(dir, 'audit-0000000000000001.jsonl');
    await writeFile(seg, (await readFile(seg, 'utf8')).replace(/"decision":"allow"(?=[^\n]*\n$)/u, '"decision":"deny"'));
    let err: unknown;
    try {
      await openAuditLog({ dir });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(AuditLogCorrupt);
    expect((err as Error).message).to.match(/hash mismatch.*audit verify/u);
  });
});
