// Reading segment files line by line at the byte level: the writer, the verifier, the shipper
// and search all need to know where each line starts and ends, and whether the last one is
// whole (ends in "\n") or was torn by a crash.
import { open, type FileHandle } from 'node:fs/promises';

export interface Line {
  readonly text: string;
  /** 1-based line number in the file, counted from the first line read. */
  readonly lineNo: number;
  /** Byte offset of the line's first byte. */
  readonly start: number;
  /** Byte offset just past the line's "\n" (or past its last byte when incomplete). */
  readonly end: number;
  /** False for a tail without "\n": a torn write, or one still in progress. */
  readonly complete: boolean;
}

const CHUNK = 1 << 20;

/** Lines of a file from byte offset `start` (which must be a line start). */
export async function* readLines(path: string, start = 0, firstLineNo = 1): AsyncGenerator<Line> {
  const fh = await open(path, 'r');
  try {
    let pos = start;
    let lineNo = firstLineNo;
    let carry: Buffer[] = [];
    let carryStart = start;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      let from = 0;
      for (;;) {
        const nl = buf.indexOf(10, from);
        if (nl === -1 || nl >= bytesRead) break;
        const piece = buf.subarray(from, nl);
        const whole = carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
        const end = pos + nl + 1;
        yield { text: whole.toString('utf8'), lineNo: lineNo++, start: carryStart, end, complete: true };
        carry = [];
        carryStart = end;
        from = nl + 1;
      }
      if (from < bytesRead) carry.push(Buffer.from(buf.subarray(from, bytesRead)));
      pos += bytesRead;
    }
    if (carry.length > 0) {
      const whole = Buffer.concat(carry);
      yield { text: whole.toString('utf8'), lineNo, start: carryStart, end: carryStart + whole.length, complete: false };
    }
  } finally {
    await fh.close();
  }
}

/** Offset of the last "\n" in the first `size` bytes of the file, or -1. */
export async function lastNewline(fh: FileHandle, size: number): Promise<number> {
  let end = size;
  const buf = Buffer.allocUnsafe(64 * 1024);
  while (end > 0) {
    const from = Math.max(0, end - buf.length);
    const { bytesRead } = await fh.read(buf, 0, end - from, from);
    const i = buf.subarray(0, bytesRead).lastIndexOf(10);
    if (i !== -1) return from + i;
    end = from;
  }
  return -1;
}

/** The whole line ending at the "\n" at offset `nl` (without it). */
export async function lineEndingAt(fh: FileHandle, nl: number): Promise<{ text: string; start: number }> {
  const start = (await lastNewline(fh, nl)) + 1;
  const buf = Buffer.allocUnsafe(nl - start);
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return { text: buf.subarray(0, got).toString('utf8'), start };
}
