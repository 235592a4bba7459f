// Disk full and unwritable directories, for real: a file-size limit (EFBIG, any user), and,
// where the tests may mount (root with CAP_SYS_ADMIN), a 256 KiB tmpfs filled to the brim
// (ENOSPC) and the same tmpfs remounted read-only (EROFS).
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditWriteError, openAuditLog, type AuditLog } from '../../sidecar/audit/log.ts';
import { verifyAuditDir } from '../../sidecar/audit/verify.ts';
import { createMetrics } from '../../sidecar/admin/metrics.ts';
import { runAppender } from './support/child.ts';
import { cleanupDirs, maskedEntry, tempDir, waitFor } from './support/helpers.ts';

async function appendError(log: AuditLog, i: number): Promise<AuditWriteError | undefined> {
  try {
    await log.append(maskedEntry(i));
    return undefined;
  } catch (err) {
    return err as AuditWriteError;
  }
}

describe('audit log: write failures fail closed and recover', () => {
  after(cleanupDirs);

  it('file-size limit (ulimit -f, EFBIG): the append rejects, health says why, the partial write is undone, then a new segment works', async () => {
    const dir = await tempDir();
    const a = runAppender([dir, '--until-error', '--payload', '10000'], { shell: 'ulimit -f 64; exec "$@"' });
    const { code } = await a.exited;
    expect(code).to.equal(0);
    const err = JSON.parse(a.lines.find((l) => l.startsWith('err '))!.slice(4));
    expect(err.code).to.equal('EFBIG');
    expect(err.message).to.match(/cannot write the audit log in .*file too large.*\(EFBIG\)/u);
    expect(err.health).to.deep.equal({ ok: false, reason: err.message });
    // Recovered: the probe, then the next append (in a new segment, under the limit).
    expect(a.lines.filter((l) => l.startsWith('health ')).map((l) => JSON.parse(l.slice(7)))).to.deep.equal([{ ok: true }, { ok: true }]);
    const okSeqs = a.lines.filter((l) => l.startsWith('ok ')).map((l) => Number(l.split(' ')[1]));
    expect(okSeqs).to.deep.equal(Array.from({ length: okSeqs.length }, (_, i) => i + 1));
    expect(JSON.parse(a.lines.find((l) => l.startsWith('metric '))!.slice(7))).to.deep.equal([{ value: 1, labels: { reason: 'EFBIG' } }]);
    const v = await verifyAuditDir(dir);
    expect(v).to.include({ ok: true, records: okSeqs.length });
    expect(v.notes).to.deep.equal([]);
    // Each file ends on a whole record: the bytes the limit let through were truncated away.
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.jsonl'))) expect((await stat(join(dir, name))).size).to.be.at.most(64 * 1024);
  });

  describe('on a tiny tmpfs', function () {
    let mnt: string;
    before(async function () {
      mnt = join(await tempDir(), 'mnt');
      await mkdir(mnt);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mnt], { stdio: 'pipe' });
      } catch (err) {
        console.log(`      (skipped: cannot mount a tmpfs here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()})`);
        this.skip();
      }
    });
    after(() => {
      if (mnt) {
        try {
          execFileSync('umount', [mnt], { stdio: 'pipe' });
        } catch {
          // not mounted (skipped)
        }
      }
    });

    it('disk full (ENOSPC): appends reject, health and metrics say why, and it recovers without an append once space is freed', async () => {
      const dir = join(mnt, 'full');
      const metrics = createMetrics({ defaultMetrics: false });
      const log = await openAuditLog({ dir, metrics, probeIntervalMs: 20 });
      let written = 1;
      try {
        await log.append(maskedEntry(0));
        // Leave room for a few records only.
        const filler = join(mnt, 'filler');
        await writeFile(filler, Buffer.alloc(200 * 1024));
        let err: AuditWriteError | undefined;
        for (let i = 1; i < 500 && err === undefined; i++) {
          err = await appendError(log, i);
          if (err === undefined) written++;
        }
        expect(err).to.be.instanceOf(AuditWriteError);
        expect(err!.code).to.equal('ENOSPC');
        expect(err!.message).to.match(/no space left on device \(ENOSPC\); requests are refused/u);
        expect(log.health()).to.deep.equal({ ok: false, reason: err!.message });
        expect((await metrics.auditWriteFailures.get()).values).to.deep.equal([{ value: 1, labels: { reason: 'ENOSPC' } }]);
        // Still failing while full.
        expect((await appendError(log, 999))?.code).to.equal('ENOSPC');
        await rm(filler);
        await waitFor('health to recover', () => log.health().ok, 2000);
        const r = await log.append(maskedEntry(1000));
        expect(r.seq).to.equal(written + 1);
      } finally {
        await log.close();
      }
      expect(await verifyAuditDir(dir)).to.include({ ok: true, records: written + 1 });
    });

    it('read-only file system (EROFS): refuses, says so, recovers once writable again', async () => {
      const dir = join(mnt, 'ro');
      const metrics = createMetrics({ defaultMetrics: false });
      const log = await openAuditLog({ dir, metrics, probeIntervalMs: 20 });
      try {
        // The kernel refuses a read-only remount while a file is open for writing; a freshly
        // opened log holds none (its first write creates its segment).
        execFileSync('mount', ['-o', 'remount,ro', mnt]);
        try {
          const err = await appendError(log, 1);
          expect(err?.code).to.equal('EROFS');
          expect(log.health().reason).to.match(/read-only file system \(EROFS\)/u);
          expect((await metrics.auditWriteFailures.get()).values).to.deep.equal([{ value: 1, labels: { reason: 'EROFS' } }]);
          await new Promise((r) => setTimeout(r, 60));
          expect(log.health().ok).to.equal(false);
        } finally {
          execFileSync('mount', ['-o', 'remount,rw', mnt]);
        }
        await waitFor('health to recover', () => log.health().ok, 2000);
        expect((await log.append(maskedEntry(2))).seq).to.equal(1);
      } finally {
        await log.close();
      }
      expect(await verifyAuditDir(dir)).to.include({ ok: true, records: 1 });
    });
  });
});
