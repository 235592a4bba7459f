// Opening an audit directory after whatever ended the last process, a crash included: creates
// the directory, cuts a torn write off the end of the newest segment (keeping the cut bytes in
// repairs.log), drops a segment that never received a whole record, and finds the chain head
// the writer continues from (the last record on disk, else the retention anchor, else genesis).
// The log refuses to open when that last record does not verify.
//
// A file is only ever extended by the process that created it (each process starts its own
// segment), so a torn tail can only be at the end of the newest one.
import { mkdir, open, stat } from 'node:fs/promises';
import type { Logger } from '../../lib/log.ts';
import { parseRecordLine, type ChainHead } from './chain.ts';
import { AuditLogCorrupt } from './errors.ts';
import { appendNote, fsyncDir, listSegments, readAnchor, removeFile, REPAIRS_FILE, type SegmentFile } from './layout.ts';
import { lastNewline, lineEndingAt } from './lines.ts';
import { GENESIS_PREV } from './record.ts';

export interface RecoveredDir {
  /** The record the next one chains to. */
  readonly head: ChainHead;
  /** Bytes of the segments left in the directory. */
  readonly bytes: number;
}

export async function recoverLogDir(dir: string, now: () => number, log: Logger): Promise<RecoveredDir> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const anchor = await readAnchor(dir);
  const segments = await listSegments(dir);
  let head: ChainHead | undefined;
  while (segments.length > 0 && head === undefined) {
    const last = segments.at(-1)!;
    head = await recoverTail(dir, last, now, log);
    if (head === undefined) {
      // Created by a rotation whose first write never became durable: it holds no record.
      await removeFile(last.path);
      await fsyncDir(dir);
      log.warn('removed an audit segment that held no complete record', { segment: last.name });
      segments.pop();
    }
  }
  head ??= anchor ? { seq: anchor.seq, hash: anchor.hash } : { seq: 0, hash: GENESIS_PREV };
  let bytes = 0;
  for (const s of segments) bytes += (await stat(s.path)).size;
  return { head, bytes };
}

/** Cuts a torn tail off a segment and returns the chain head it ends with (undefined: no whole record). */
async function recoverTail(dir: string, segment: SegmentFile, now: () => number, log: Logger): Promise<ChainHead | undefined> {
  const fh = await open(segment.path, 'r+');
  try {
    const size = (await fh.stat()).size;
    const nl = await lastNewline(fh, size);
    if (nl + 1 < size) {
      const cut = Buffer.alloc(Math.min(size - (nl + 1), 1 << 20));
      await fh.read(cut, 0, cut.length, nl + 1);
      await fh.truncate(nl + 1);
      await fh.datasync();
      const note = {
        time: new Date(now()).toISOString(),
        segment: segment.name,
        offset: nl + 1,
        bytes: size - (nl + 1),
        // The cut bytes came from this writer, so they hold only what records hold (masked values).
        cutBase64: cut.toString('base64'),
        cutTruncated: cut.length < size - (nl + 1),
      };
      await appendNote(dir, REPAIRS_FILE, note);
      log.warn('cut a torn write from the end of an audit segment (a crash during a write); the chain ends at the last whole record', {
        segment: segment.name,
        offset: note.offset,
        bytes: note.bytes,
      });
    }
    if (nl === -1) return undefined;
    const { text } = await lineEndingAt(fh, nl);
    const parsed = parseRecordLine(text);
    if ('problem' in parsed) {
      throw new AuditLogCorrupt(
        `${segment.path}: the last record ${parsed.problem.message}; the log will not extend a chain it cannot verify: run 'mcp-residency audit verify ${dir}'`,
      );
    }
    return { seq: parsed.record.seq, hash: parsed.record.hash };
  } finally {
    await fh.close();
  }
}
