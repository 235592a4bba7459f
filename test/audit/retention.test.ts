import { expect } from 'chai';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCursor } from '../../sidecar/audit/cursor.ts';
import { AuditWriteError, openAuditLog } from '../../sidecar/audit/log.ts';
import { planRetention, type SegmentStat } from '../../sidecar/audit/retention.ts';
import { verifyAuditDir } from '../../sidecar/audit/verify.ts';
import { createMetrics } from '../../sidecar/admin/metrics.ts';
import { audit } from './support/cli.ts';
import { cleanupDirs, maskedEntry, tempDir, waitFor } from './support/helpers.ts';

const seg = (firstSeq: number, lastSeq: number, bytes: number, newestMs: number, active = false): SegmentStat => ({
  name: `s${firstSeq}`,
  path: `/x/s${firstSeq}`,
  firstSeq,
  lastSeq,
  bytes,
  newestMs,
  active,
});

describe('audit retention', () => {
  after(cleanupDirs);

  describe('planRetention', () => {
    const day = 86_400_000;
    const now = 100 * day;
    const segments = [seg(1, 10, 100, now - 9 * day), seg(11, 20, 100, now - 8 * day), seg(21, 30, 100, now - 1 * day), seg(31, 35, 50, now, true)];

    it('removes the oldest segments past maxAge, as a prefix, never the active one', () => {
      const p = planRetention(segments, now, { maxAgeMs: 7 * day, maxBytes: 10_000 }, undefined);
      expect(p.remove.map((s) => s.firstSeq)).to.deep.equal([1, 11]);
      expect(p).to.include({ totalBytes: 350, keptBytes: 150, heldForShipping: undefined });
      const all = planRetention(segments, now, { maxAgeMs: 0, maxBytes: 10_000 }, undefined);
      expect(all.remove.map((s) => s.firstSeq)).to.deep.equal([1, 11, 21]);
    });

    it('removes the oldest segments while over maxBytes', () => {
      const p = planRetention(segments, now, { maxAgeMs: 365 * day, maxBytes: 200 }, undefined);
      expect(p.remove.map((s) => s.firstSeq)).to.deep.equal([1, 11]);
    });

    it('never removes a segment holding records the shipper has not acknowledged, and says so', () => {
      const p = planRetention(segments, now, { maxAgeMs: 0, maxBytes: 0 }, 15);
      expect(p.remove.map((s) => s.firstSeq)).to.deep.equal([1]);
      expect(p.heldForShipping).to.deep.equal({ fromSeq: 16, bytes: 250 });
      expect(planRetention(segments, now, { maxAgeMs: 0, maxBytes: 0 }, 0).remove).to.deep.equal([]);
    });
  });

  it('removes acknowledged segments, anchors the chain, and verify still passes from the anchor', async () => {
    const dir = await tempDir();
    let now = Date.parse('2025-03-01T00:00:00Z');
    const log = await openAuditLog({ dir, segmentMaxBytes: 4000, now: () => now, retention: { maxAgeMs: 3_600_000, holdUnshipped: true, intervalMs: 3_600_000 } });
    for (let i = 0; i < 20; i++) await log.append(maskedEntry(i));
    const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
    expect(names.length).to.be.at.least(4);
    now += 2 * 3_600_000;
    // Nothing acknowledged: nothing goes, however old.
    expect((await log.retain()).remove).to.deep.equal([]);
    // The shipper acknowledged everything in the first two segments and part of the third.
    const third = Number(/\d{16}/u.exec(names[2]!)![0]);
    await writeCursor(dir, { ackedSeq: third + 1, beyond: [], rejected: 0, updated: '' });
    const plan = await log.retain();
    expect(plan.remove.map((s) => s.name)).to.deep.equal(names.slice(0, 2));
    expect((await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort()).to.deep.equal(names.slice(2));
    const anchor = JSON.parse(await readFile(join(dir, 'anchor.json'), 'utf8'));
    expect(anchor).to.include({ seq: third - 1, removedRecords: third - 1 });
    // The chain now starts at the anchor, and keeps going.
    await log.append(maskedEntry(20));
    await log.close();
    const r = await audit(['verify', dir]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`intact: ${21 - (third - 1)} records`);
    expect(r.stdout).to.include(`seq 1..${third - 1} removed by retention (anchor.json)`);
    // And a forged anchor is caught.
    await writeFile(join(dir, 'anchor.json'), JSON.stringify({ ...anchor, hash: 'f'.repeat(64) }));
    const bad = await audit(['verify', dir]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/prev does not match the hash anchor\.json records/u);
  });

  it('verifies when a crash came between writing the anchor and removing the segments', async () => {
    const dir = await tempDir();
    const log = await openAuditLog({ dir, segmentMaxBytes: 4000 });
    const records = [];
    for (let i = 0; i < 12; i++) records.push(await log.append(maskedEntry(i)));
    await log.close();
    await writeFile(join(dir, 'anchor.json'), JSON.stringify({ seq: 5, hash: records[4]!.hash, time: '', removedRecords: 5 }));
    expect(await verifyAuditDir(dir)).to.include({ ok: true, records: 12 });
    await writeFile(join(dir, 'anchor.json'), JSON.stringify({ seq: 5, hash: records[5]!.hash, time: '', removedRecords: 5 }));
    expect((await verifyAuditDir(dir)).problem).to.include({ kind: 'anchor', seq: 5 });
  });

  it('at the hard cap with unshipped records: refuses appends (fail closed), loudly; recovers once the shipper catches up', async () => {
    const dir = await tempDir();
    const metrics = createMetrics({ defaultMetrics: false });
    const log = await openAuditLog({ dir, metrics, segmentMaxBytes: 3000, probeIntervalMs: 20, retention: { maxBytes: 8000, holdUnshipped: true } });
    let err: AuditWriteError | undefined;
    let last = 0;
    for (let i = 0; i < 100 && err === undefined; i++) {
      try {
        last = (await log.append(maskedEntry(i))).seq;
      } catch (e) {
        err = e as AuditWriteError;
      }
    }
    expect(err).to.be.instanceOf(AuditWriteError);
    expect(err!.code).to.equal('SIZE_CAP');
    expect(err!.message).to.match(/reached its hard size cap \(8000 bytes\) with records not yet shipped/u);
    expect(log.health()).to.deep.equal({ ok: false, reason: err!.message });
    expect((await metrics.auditWriteFailures.get()).values).to.deep.equal([{ value: 1, labels: { reason: 'size_cap' } }]);
    // Nothing was dropped to make room.
    expect(await verifyAuditDir(dir)).to.include({ ok: true, firstSeq: 1, lastSeq: last });
    await writeCursor(dir, { ackedSeq: last, beyond: [], rejected: 0, updated: '' });
    await waitFor('health to recover', () => log.health().ok, 2000);
    expect((await log.append(maskedEntry(0))).seq).to.equal(last + 1);
    await log.close();
    expect(await verifyAuditDir(dir)).to.include({ ok: true, lastSeq: last + 1 });
  });
});
