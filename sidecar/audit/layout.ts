// What lives in an audit directory. Only segments end in .jsonl (the contract's
// `<audit-dir>/*.jsonl` are records and nothing else); bookkeeping files use other suffixes.
//
//   audit-0000000000000001.jsonl   segment; the number is the seq of its first record
//   anchor.json                    last record removed by retention (seq, hash): where verify starts
//   shipper-cursor.json            what Azure Monitor has acknowledged
//   repairs.log                    one JSON line per torn tail cut after a crash
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditRecord } from './record.ts';

export const ANCHOR_FILE = 'anchor.json';
export const CURSOR_FILE = 'shipper-cursor.json';
export const REPAIRS_FILE = 'repairs.log';

const SEGMENT_RE = /^audit-(\d{16})\.jsonl$/u;

export interface SegmentFile {
  readonly name: string;
  readonly path: string;
  /** Seq of the segment's first record, from its name. */
  readonly firstSeq: number;
}

export function segmentName(firstSeq: number): string {
  return `audit-${String(firstSeq).padStart(16, '0')}.jsonl`;
}

export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT_RE.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Segments in chain order. A missing directory has none. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SegmentFile[] = [];
  for (const name of names) {
    const firstSeq = parseSegmentName(name);
    if (firstSeq !== undefined) out.push({ name, path: join(dir, name), firstSeq });
  }
  return out.sort((a, b) => a.firstSeq - b.firstSeq);
}

/** .jsonl files that are not segments: verify names them, since the contract says *.jsonl are records. */
export async function strayJsonl(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => n.endsWith('.jsonl') && parseSegmentName(n) === undefined).sort();
}

/** Makes a directory entry change (create, rename, unlink) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces a small file so that a crash leaves either the old or the new content, never a mix. */
export async function writeFileAtomic(dir: string, name: string, content: string): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await fsyncDir(dir);
}

export async function readJsonFile(path: string): Promise<unknown> {
  const fh = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (fh === undefined) return undefined;
  try {
    return JSON.parse(await fh.readFile('utf8')) as unknown;
  } finally {
    await fh.close();
  }
}

export interface Anchor {
  /** Seq of the newest record retention removed. */
  readonly seq: number;
  /** Its hash: the `prev` of the record after it. */
  readonly hash: string;
  readonly time: string;
  /** Records removed by retention so far, over the directory's life. */
  readonly removedRecords: number;
}

export async function readAnchor(dir: string): Promise<Anchor | undefined> {
  const v = await readJsonFile(join(dir, ANCHOR_FILE));
  if (v === undefined) return undefined;
  const a = v as Record<string, unknown>;
  if (typeof a.seq !== 'number' || typeof a.hash !== 'string' || !/^[0-9a-f]{64}$/u.test(a.hash)) {
    throw new Error(`${join(dir, ANCHOR_FILE)} is not a valid retention anchor`);
  }
  return { seq: a.seq, hash: a.hash, time: typeof a.time === 'string' ? a.time : '', removedRecords: typeof a.removedRecords === 'number' ? a.removedRecords : 0 };
}

export async function writeAnchor(dir: string, anchor: Anchor): Promise<void> {
  await writeFileAtomic(dir, ANCHOR_FILE, `${JSON.stringify(anchor)}\n`);
}

export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

export async function appendNote(dir: string, name: string, note: Record<string, unknown>): Promise<void> {
  const fh = await open(join(dir, name), 'a', 0o600);
  try {
    await fh.appendFile(`${JSON.stringify(note)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Every record of every segment in chain order, parsed but neither checked nor verified: for
 * showing a log (the demo) and for tests. A torn last line throws; verifyAuditDir reports it.
 */
export async function readAuditRecords(dir: string): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (const segment of await listSegments(dir)) {
    for (const line of (await readFile(segment.path, 'utf8')).split('\n')) if (line) out.push(JSON.parse(line) as AuditRecord);
  }
  return out;
}
