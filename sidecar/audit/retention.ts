// Which segments retention may remove: a pure decision over the directory's segments, the
// clock and what the shipper has acknowledged.
//
// Rules: only whole, closed segments go, oldest first and only as a contiguous prefix (so one
// anchor describes everything removed); a segment goes when its newest record is older than
// maxAgeMs or while the directory is over maxBytes; and never while it holds a record the
// shipper has not acknowledged (when shipping is configured). When unacknowledged records alone
// exceed the budget nothing is removed and the plan says so; the writer's hard cap then decides.

export interface RetentionPolicy {
  /** Remove segments whose newest record is older than this. */
  readonly maxAgeMs: number;
  /** Remove the oldest segments while the directory holds more than this. */
  readonly maxBytes: number;
}

export interface SegmentStat {
  readonly name: string;
  readonly path: string;
  readonly firstSeq: number;
  /** Seq of its last record; for a closed segment, the next segment's first seq minus one. */
  readonly lastSeq: number;
  readonly bytes: number;
  /** Time of its newest record (the file's mtime when that cannot be read). */
  readonly newestMs: number;
  /** The segment the writer appends to: never removed. */
  readonly active: boolean;
}

export interface RetentionPlan {
  readonly remove: readonly SegmentStat[];
  readonly totalBytes: number;
  readonly keptBytes: number;
  /** Set when a segment that should go is held because the shipper has not acknowledged it. */
  readonly heldForShipping: { readonly fromSeq: number; readonly bytes: number } | undefined;
}

/** `ackedSeq` undefined: nothing to wait for (shipping not configured). */
export function planRetention(segments: readonly SegmentStat[], nowMs: number, policy: RetentionPolicy, ackedSeq: number | undefined): RetentionPlan {
  const totalBytes = segments.reduce((n, s) => n + s.bytes, 0);
  const remove: SegmentStat[] = [];
  let removedBytes = 0;
  let heldForShipping: RetentionPlan['heldForShipping'];
  for (const s of segments) {
    if (s.active) break;
    const expired = nowMs - s.newestMs > policy.maxAgeMs;
    const overSize = totalBytes - removedBytes > policy.maxBytes;
    if (!expired && !overSize) break;
    if (ackedSeq !== undefined && s.lastSeq > ackedSeq) {
      heldForShipping = { fromSeq: Math.max(s.firstSeq, ackedSeq + 1), bytes: totalBytes - removedBytes };
      break;
    }
    remove.push(s);
    removedBytes += s.bytes;
  }
  return { remove, totalBytes, keptBytes: totalBytes - removedBytes, heldForShipping };
}
