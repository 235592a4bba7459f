// Masking a parsed JSON value: every string at any depth, never an object key. Copy on write:
// a subtree in which nothing is masked is returned as the same object, so a clean document
// costs one walk and no allocation.
//
// - A string that holds a JSON object or array (an MCP tool result's content[].text usually
//   does) is parsed, masked as JSON and re-encoded; if nothing in it is masked it stays
//   byte-for-byte as it was.
// - `fields` paths are matched against the location from the root of the value being masked,
//   and also from the root of each JSON document embedded in a string: "$.customer.taxId"
//   finds the field whether the tool returned it as structured content or as JSON text. The
//   whole value there, of any JSON type, becomes a FIELD token (a string).
// - The key a string sits under is a hint: a value under "password", "apiKey", "client_secret"
//   ... is a SECRET as a whole; under "phone" or "ssn" a bare digit run is read as a phone
//   number or SSN without needing a keyword in the text.
// - Integers of 8+ digits, of either sign, are checked too ("card": 4111111111111111, "phone": 14155552671) and
//   replaced by a token when the whole number is a finding.
import { parseJsonPath, pathMatches, type JsonPath, type PathSegment } from '../../policy/jsonpath.ts';
import { K_PERSON_KEY, K_SECRET_KEY } from './hits.ts';
import type { MaskCore } from './core.ts';
import { isPlaceholderValue, isSecretName } from './detectors/secret-assignment.ts';
import type { MaskReport } from './report.ts';
import { hasPersonKey, KEY_ADDRESS, KEY_CAP, KEY_DOB, KEY_NATIONAL_ID, peopleKeyBits } from './people/keys.ts';
import { keyedKind, NAME_IF_PERSON_RECORD, type KeyedBits } from './people/values.ts';

export { NAME_IF_PERSON_RECORD };
import { CTX_NUMBER, CTX_PHONE, CTX_SSN, D_ADDRESS, D_DOB, D_NATIONAL_ID_KEY, D_PERSON, D_SECRET } from './detector-bits.ts';

/** Nesting deeper than this is refused rather than risk the stack: the caller fails closed. */
export const MAX_JSON_DEPTH = 512;

/**
 * JSON documents inside strings inside documents inside strings... deeper than this are
 * masked as text (still masked, just without key hints and fields). Real payloads nest two
 * or three deep; the bound keeps a hostile payload from multiplying the work per level.
 */
export const MAX_EMBEDDING = 4;

export class MaskingDepthError extends Error {
  constructor() {
    super(`JSON nested deeper than ${MAX_JSON_DEPTH} levels cannot be masked`);
  }
}

/** keyHints bit: the key names a credential, so its string value is a SECRET as a whole. */
export const KEY_SECRET = 4;

const keyHintCache = new Map<string, number>();

/** A string under a key with these hints is a SECRET as a whole, unless it is a placeholder. */
export function isSecretByKey(core: MaskCore, hints: number, s: string): boolean {
  return (hints & KEY_SECRET) !== 0 && (core.enabled & D_SECRET) !== 0 && !isPlaceholderValue(s, 0, s.length);
}

/** CTX_* bits and KEY_SECRET for a JSON key, cached: keys repeat across records. */
export function keyHints(key: string): number {
  let bits = keyHintCache.get(key);
  if (bits !== undefined) return bits;
  bits = 0;
  if (isSecretName(key)) bits |= KEY_SECRET;
  const k = key.toLowerCase();
  if (/phone|mobile|msisdn|fax|telefon|whatsapp|^tel(?:no|nr|ephone)?$|tel$|^cell/u.test(k)) bits |= CTX_PHONE;
  if (/ssn|socialsecurity|social_security/u.test(k)) bits |= CTX_SSN;
  bits |= peopleKeyBits(key);
  if (keyHintCache.size > 4096) keyHintCache.clear();
  keyHintCache.set(key, bits);
  return bits;
}

const KEYED_BITS: KeyedBits = { person: D_PERSON, address: D_ADDRESS, dob: D_DOB, nationalId: D_NATIONAL_ID_KEY };

/**
 * The kind a string (or number) under a personal-data key is masked whole as, or -1; under a
 * generic name key NAME_IF_PERSON_RECORD (also below 0) for a name that is masked only in a
 * record about a person.
 */
export function keyedKindOf(core: MaskCore, hints: number, s: string): number {
  return hints < 8 ? -1 : keyedKind(core.enabled, KEYED_BITS, hints, s);
}

/** Keys whose numbers are personal data however short (a postcode, 19850312, a tax number). */
export const KEY_NUMERIC = KEY_ADDRESS | KEY_CAP | KEY_DOB | KEY_NATIONAL_ID;

export interface FieldPath {
  readonly source: string;
  readonly path: JsonPath;
  readonly last: PathSegment;
}

export function compileFields(fields: readonly string[]): FieldPath[] {
  return fields.map((source) => {
    const path = parseJsonPath(source);
    return { source, path, last: path[path.length - 1]! };
  });
}

function lastCanMatch(seg: PathSegment, key: string | number): boolean {
  switch (seg.kind) {
    case 'name':
      return key === seg.name;
    case 'index':
      return key === seg.index;
    case 'wildcard':
      return true;
    case 'descendant':
      return seg.name === undefined || key === seg.name;
  }
}

/**
 * The field path selecting the location `path` (its last element is the key or index of the
 * value), matched from the root and, inside an embedded document, from that document's root
 * at `docStart`.
 */
export function fieldMatches(fields: readonly FieldPath[], path: readonly (string | number)[], docStart: number): FieldPath | undefined {
  const key = path[path.length - 1]!;
  for (const f of fields) {
    if (!lastCanMatch(f.last, key)) continue;
    if (pathMatches(f.path, path) || (docStart > 0 && pathMatches(f.path, path.slice(docStart)))) return f;
  }
  return undefined;
}

/**
 * s[from, to) starts with '{' or '[' and ends with the matching bracket (whitespace aside):
 * worth a JSON.parse. The range lets a caller ask about a value where it stands in a JSON text
 * (without escapes it is the same characters), which reads a flat string instead of a view.
 */
export function looksLikeJsonDocument(s: string, from = 0, to = s.length): boolean {
  if (to - from < 2) return false;
  let a = from;
  let c = s.charCodeAt(a);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = ++a < to ? s.charCodeAt(a) : -1;
  if (c !== 123 && c !== 91) return false;
  let b = to - 1;
  let d = s.charCodeAt(b);
  while (b > a && (d === 32 || d === 10 || d === 13 || d === 9)) d = s.charCodeAt(--b);
  return (c === 123 && d === 125) || (c === 91 && d === 93);
}

/** The indentation a JSON text was written with, so a re-encoded document keeps its look. */
export function indentOf(text: string): string | undefined {
  const nl = text.indexOf('\n');
  if (nl < 0 || nl > 256) return undefined;
  let k = nl + 1;
  while (k < text.length && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
  const indent = text.slice(nl + 1, k);
  return indent.length === 0 ? undefined : indent.length > 10 ? indent.slice(0, 10) : indent;
}

export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // "__proto__" is an ordinary key in parsed JSON; assigning it would set the prototype.
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

export class JsonMasker {
  readonly #core: MaskCore;
  readonly #fields: readonly FieldPath[];
  readonly #trackPath: boolean;
  #report: MaskReport | undefined;
  // The location from the root of the current document: keys and indexes.
  #path: (string | number)[] = [];
  // Where the current embedded document's root is in #path (fields match from there too).
  #docStart = 0;
  // How many strings deep the current document is.
  #embedding = 0;
  // The keys of the object whose value is being walked (undefined in arrays): record context.
  #siblings: readonly string[] | undefined;

  constructor(core: MaskCore, fields: readonly FieldPath[]) {
    this.#core = core;
    this.#fields = fields;
    this.#trackPath = fields.length > 0;
  }

  mask(value: unknown, report: MaskReport | undefined): unknown {
    this.#report = report;
    this.#path = [];
    this.#docStart = 0;
    this.#embedding = 0;
    try {
      return this.#walk(value, 0, undefined);
    } finally {
      this.#report = undefined;
    }
  }

  #tracking(): boolean {
    return this.#trackPath || this.#report?.findings !== undefined;
  }

  #walk(value: unknown, depth: number, key: string | number | undefined): unknown {
    if (key !== undefined && this.#fields.length > 0) {
      const f = fieldMatches(this.#fields, this.#path, this.#docStart);
      if (f !== undefined) return this.#core.fieldToken(value, f.source, this.#report, this.#tracking() ? this.#path : undefined);
    }
    switch (typeof value) {
      case 'string':
        return this.#string(value, depth, typeof key === 'string' ? keyHints(key) : 0);
      case 'number': {
        const hints = typeof key === 'string' ? keyHints(key) : 0;
        if ((hints & KEY_NUMERIC) !== 0 && Number.isInteger(value)) {
          const kind = keyedKindOf(this.#core, hints, String(value));
          if (kind >= 0) return this.#core.wholeToken(kind, String(value), this.#report, this.#tracking() ? this.#path : undefined);
        }
        return value >= 1e7 || value <= -1e7 ? this.#number(value, hints) : value;
      }
      case 'object':
        if (value === null) return value;
        if (depth >= MAX_JSON_DEPTH) throw new MaskingDepthError();
        return Array.isArray(value) ? this.#array(value, depth) : this.#object(value, depth);
      default:
        return value;
    }
  }

  #array(arr: readonly unknown[], depth: number): unknown {
    const track = this.#tracking();
    let copy: unknown[] | undefined;
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (track) this.#path.push(i);
      this.#siblings = undefined;
      const m = this.#walk(v, depth + 1, track ? i : undefined);
      if (track) this.#path.pop();
      if (m !== v && copy === undefined) copy = arr.slice(0, i);
      if (copy !== undefined) copy.push(m);
    }
    return copy ?? arr;
  }

  #object(obj: object, depth: number): unknown {
    const track = this.#tracking();
    const rec = obj as Record<string, unknown>;
    const keys = Object.keys(rec);
    let copy: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = rec[k];
      if (track) this.#path.push(k);
      // The key goes down even when the path is not tracked: it is a hint for the value.
      this.#siblings = keys;
      const m = this.#walk(v, depth + 1, k);
      if (track) this.#path.pop();
      if (m !== v && copy === undefined) {
        copy = {};
        for (let j = 0; j < i; j++) setOwn(copy, keys[j]!, rec[keys[j]!]);
      }
      if (copy !== undefined) setOwn(copy, k, m);
    }
    return copy ?? obj;
  }

  #string(s: string, depth: number, hints: number): string {
    if (s.length === 0) return s;
    if (isSecretByKey(this.#core, hints, s)) return this.#core.wholeToken(K_SECRET_KEY, s, this.#report, this.#tracking() ? this.#path : undefined);
    let keyed = keyedKindOf(this.#core, hints, s);
    // A generic "name" in a record that also has a lastName, cognome, ...: that person's name.
    if (keyed === NAME_IF_PERSON_RECORD && this.#siblings !== undefined && hasPersonKey(this.#siblings)) keyed = K_PERSON_KEY;
    if (keyed >= 0) return this.#core.wholeToken(keyed, s, this.#report, this.#tracking() ? this.#path : undefined);
    if (this.#embedding < MAX_EMBEDDING && looksLikeJsonDocument(s)) {
      const embedded = this.#embedded(s, depth);
      if (embedded !== undefined) return embedded;
    }
    return this.#core.maskString(s, hints & (CTX_PHONE | CTX_SSN), this.#report, this.#tracking() ? this.#path : undefined);
  }

  /** A JSON document inside a string: masked as JSON; undefined when it does not parse. */
  #embedded(s: string, depth: number): string | undefined {
    let doc: unknown;
    try {
      doc = JSON.parse(s);
    } catch {
      return undefined;
    }
    const savedStart = this.#docStart;
    this.#docStart = this.#path.length;
    this.#embedding++;
    let masked: unknown;
    try {
      masked = this.#walk(doc, depth + 1, undefined);
    } finally {
      this.#docStart = savedStart;
      this.#embedding--;
    }
    if (masked === doc) return s;
    return JSON.stringify(masked, null, indentOf(s));
  }

  #number(n: number, hints: number): unknown {
    if (!Number.isSafeInteger(n)) return n;
    // The sign is not part of the value ({"card": -4111111111111111} is still the card).
    const text = String(Math.abs(n));
    const masked = this.#core.maskString(text, (hints & (CTX_PHONE | CTX_SSN)) | CTX_NUMBER, this.#report, this.#tracking() ? this.#path : undefined);
    return masked === text ? n : masked;
  }
}
