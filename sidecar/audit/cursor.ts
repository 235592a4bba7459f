// The shipper's persisted position: every record up to `ackedSeq` has been acknowledged by
// Azure Monitor, plus `beyond`, the seqs after it acknowledged out of order (a partial success
// re-sends only the failed items). Retention reads `ackedSeq` to know what it may remove.
import { join } from 'node:path';
import { CURSOR_FILE, readJsonFile, writeFileAtomic } from './layout.ts';

export interface ShipCursor {
  readonly ackedSeq: number;
  readonly beyond: readonly number[];
  /** Records Azure Monitor refused for good (logged and counted when it happened). */
  readonly rejected: number;
  readonly updated: string;
}

export const EMPTY_CURSOR: ShipCursor = { ackedSeq: 0, beyond: [], rejected: 0, updated: '' };

export async function readCursor(dir: string): Promise<ShipCursor | undefined> {
  const v = await readJsonFile(join(dir, CURSOR_FILE));
  if (v === undefined) return undefined;
  const c = v as Record<string, unknown>;
  if (typeof c.ackedSeq !== 'number' || !Number.isSafeInteger(c.ackedSeq) || c.ackedSeq < 0) {
    throw new Error(`${join(dir, CURSOR_FILE)} is not a valid shipper cursor`);
  }
  const beyond = Array.isArray(c.beyond) ? c.beyond.filter((n): n is number => typeof n === 'number' && n > (c.ackedSeq as number)) : [];
  return { ackedSeq: c.ackedSeq, beyond, rejected: typeof c.rejected === 'number' ? c.rejected : 0, updated: typeof c.updated === 'string' ? c.updated : '' };
}

export async function writeCursor(dir: string, cursor: ShipCursor): Promise<void> {
  await writeFileAtomic(dir, CURSOR_FILE, `${JSON.stringify({ version: 1, ...cursor })}\n`);
}

/** Folds newly acknowledged seqs into a cursor: the contiguous prefix moves `ackedSeq`. */
export function advanceCursor(cursor: ShipCursor, acked: Iterable<number>, rejected: number, now: string): ShipCursor {
  const beyond = new Set(cursor.beyond);
  for (const s of acked) if (s > cursor.ackedSeq) beyond.add(s);
  let ackedSeq = cursor.ackedSeq;
  while (beyond.delete(ackedSeq + 1)) ackedSeq++;
  return { ackedSeq, beyond: [...beyond].sort((a, b) => a - b), rejected: cursor.rejected + rejected, updated: now };
}

/**
 * Moves past seqs the log does not hold (removed before shipping was configured, or deleted by
 * hand: verify reports those). Only ever called between batches, when nothing is outstanding.
 */
export function skipTo(cursor: ShipCursor, seq: number, now: string): ShipCursor {
  if (cursor.beyond.length > 0 || seq <= cursor.ackedSeq) return cursor;
  return { ...cursor, ackedSeq: seq, updated: now };
}
