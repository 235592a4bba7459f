// The table `mask --explain` prints: for each finding its TYPE, where it is, the detector,
// what vouched for it, and its context with every finding in sight replaced by its [TYPE],
// so the explanation shows no value it explains.
import type { Finding } from '../../sidecar/masking/engine.ts';

/** What vouched for a finding, by its detector. */
export function validatedBy(detector: string): string {
  switch (detector) {
    case 'creditCard':
    case 'iban':
    case 'nationalId':
    case 'vatId':
      return 'checksum';
    case 'nationalId:cue':
      return 'checksum and cue';
    case 'nationalId:whole':
      return 'checksum, whole value';
    case 'passport':
      return 'cue';
    case 'ssn':
    case 'ipAddress:v4':
    case 'ipAddress:v6':
      return 'structure';
    case 'address:street':
      return 'street and postcode';
    case 'secret:assignment':
      return 'assignment';
    case 'secret:json-key':
      return 'key';
  }
  if (detector.startsWith('field:')) return 'field path';
  if (detector.startsWith('custom:')) return 'pattern';
  if (detector.endsWith(':key')) return 'key';
  if (detector.endsWith(':cue')) return 'cue';
  if (detector.endsWith(':lexicon')) return 'lexicon';
  return 'shape';
}

/** $.customer.email, $.content[0].text, $['odd key'] */
export function formatJsonPath(path: readonly (string | number)[]): string {
  let out = '$';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/u.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function lineCol(text: string, offset: number): string {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return `${line}:${offset - last}`;
}

/** The string at `path` in a JSON document, descending into JSON held in strings. */
function stringAt(doc: unknown, path: readonly (string | number)[]): string | undefined {
  let v = doc;
  for (const seg of path) {
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v) as unknown;
      } catch {
        return undefined;
      }
    }
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

const WINDOW = 24;

/** `text` around findings[k], every finding in `same` replaced by [TYPE], as one JSON-quoted line. */
function contextOf(text: string, same: readonly Finding[], target: Finding): string {
  let out = '';
  let pos = 0;
  let at = 0;
  let atEnd = 0;
  for (const f of [...same].sort((a, b) => a.start - b.start)) {
    if (f.start < pos) continue;
    out += text.slice(pos, f.start);
    if (f === target) at = out.length;
    out += `[${f.type}]`;
    if (f === target) atEnd = out.length;
    pos = f.end;
  }
  out += text.slice(pos);
  // Never cut a [TYPE] in two.
  let from = Math.max(0, at - WINDOW);
  const open = out.lastIndexOf('[', from);
  if (open >= 0 && out.indexOf(']', open) >= from) from = open;
  let to = Math.min(out.length, atEnd + WINDOW);
  const cut = out.lastIndexOf('[', to - 1);
  if (cut >= atEnd && out.indexOf(']', cut) >= to) to = out.indexOf(']', cut) + 1;
  return JSON.stringify(`${from > 0 ? '…' : ''}${out.slice(from, to)}${to < out.length ? '…' : ''}`);
}

export function explainLines(findings: readonly Finding[], input: string, json: boolean): string[] {
  let doc: unknown;
  if (json) doc = JSON.parse(input) as unknown;
  const key = (f: Finding): string => (f.path === undefined ? '' : JSON.stringify(f.path));
  const rows = findings.map((f) => {
    const where = f.path !== undefined ? `${formatJsonPath(f.path)} chars ${f.start}-${f.end}` : json ? `chars ${f.start}-${f.end}` : `line ${lineCol(input, f.start)} (chars ${f.start}-${f.end})`;
    const text = f.path === undefined ? (json ? undefined : input) : stringAt(doc, f.path);
    const last = f.path?.[f.path.length - 1];
    const context =
      validatedBy(f.detector) === 'key' && typeof last === 'string'
        ? `${JSON.stringify(last)}: [${f.type}]`
        : text === undefined
          ? ''
          : contextOf(text, findings.filter((g) => key(g) === key(f)), f);
    return [f.type, where, f.detector, validatedBy(f.detector), context] as const;
  });
  const width = (k: number, min: number): number => Math.max(min, ...rows.map((r) => r[k]!.length));
  const w = [width(0, 4), width(1, 5), width(2, 8), width(3, 12)];
  const line = (r: readonly string[]): string => `${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]!.padEnd(w[3]!)}  ${r[4]}`.trimEnd();
  return [line(['TYPE', 'WHERE', 'DETECTOR', 'VALIDATED BY', 'CONTEXT']), ...rows.map(line)];
}
