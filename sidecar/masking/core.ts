// Masking one string: run the detectors, resolve overlaps, write tokens. Shared by the text,
// JSON and SSE front ends. The string is returned as is (same reference) when nothing is found.
import type { BuiltinDetector } from '../../policy/builtin-detectors.ts';
import type { CustomDetector } from '../../policy/types.ts';
import { compileSafeRegex } from '../../policy/safe-regex.ts';
import { BUILTIN_KINDS, CUSTOM_BASE, Hits, K_FIELD, type KindInfo } from './hits.ts';
import { decodeEncoded, mayBeEncoded } from './encoded.ts';
import { Pseudonymizer } from './pseudonym.ts';
import type { Finding, MaskReport } from './report.ts';
import {
  D_ADDRESS, D_CARD, D_DOB, D_EMAIL, D_IBAN, D_IP, D_NATIONAL_ID, D_NATIONAL_ID_KEY, D_PASSPORT, D_PERSON, D_PHONE, D_SECRET, D_SSN, D_VAT_ID,
} from './detector-bits.ts';
import { scanBuiltins } from './scanner.ts';

const DETECTOR_BITS: Readonly<Record<BuiltinDetector, number>> = {
  email: D_EMAIL,
  phone: D_PHONE,
  creditCard: D_CARD,
  iban: D_IBAN,
  ssn: D_SSN,
  ipAddress: D_IP,
  secret: D_SECRET,
  address: D_ADDRESS,
  dateOfBirth: D_DOB,
  // One policy name for both ways of knowing: the checksum detector and the record-key rule.
  nationalId: D_NATIONAL_ID | D_NATIONAL_ID_KEY,
  passport: D_PASSPORT,
  person: D_PERSON,
  vatId: D_VAT_ID,
};

/** TYPE of values masked because of `masking.fields`. */
export const FIELD_TYPE = 'FIELD';

interface CompiledCustom {
  readonly kind: number;
  readonly re: RegExp;
}

export class MaskCore {
  readonly enabled: number;
  readonly kinds: readonly KindInfo[];
  readonly pseudonymizer: Pseudonymizer | undefined;
  readonly #custom: readonly CompiledCustom[];
  readonly #redactTokens: readonly string[];
  readonly #hits = new Hits();
  readonly #decodedHits = new Hits();

  constructor(detectors: readonly BuiltinDetector[], custom: readonly CustomDetector[], key: Uint8Array | undefined) {
    let enabled = 0;
    for (const d of detectors) enabled |= DETECTOR_BITS[d];
    this.enabled = enabled;
    const kinds: KindInfo[] = [...BUILTIN_KINDS];
    while (kinds.length < CUSTOM_BASE) kinds.push({ type: 'UNUSED', detector: 'unused', priority: 99 });
    this.#custom = custom.map((c, i) => {
      kinds.push({ type: c.name, detector: `custom:${c.name}`, priority: 10 + i });
      return { kind: CUSTOM_BASE + i, re: compileSafeRegex(c.pattern) };
    });
    this.kinds = kinds;
    this.#redactTokens = kinds.map((k) => `[${k.type}]`);
    this.pseudonymizer = key === undefined ? undefined : new Pseudonymizer(key);
  }

  /**
   * Finds everything in `s` into the shared hit buffer; returns how many spans there are. Text
   * with percent-encoding or HTML references is scanned decoded too (encoded.ts), and what is
   * found there masks the span that encodes it. `encoded` false: the caller knows `s` holds no
   * '%' or '&', so there is nothing to decode.
   */
  scan(s: string, ctx: number, encoded = true): number {
    const hits = this.#hits;
    hits.reset();
    this.#scanInto(s, ctx, hits);
    const decoded = encoded && mayBeEncoded(s) ? decodeEncoded(s) : undefined;
    if (decoded !== undefined) {
      const inner = this.#decodedHits;
      inner.reset();
      this.#scanInto(decoded.text, ctx, inner);
      for (let k = 0; k < inner.count; k++) hits.add(inner.kinds[k]!, decoded.starts[inner.starts[k]!]!, decoded.ends[inner.ends[k]! - 1]!);
    }
    hits.resolve(this.kinds);
    return hits.count;
  }

  #scanInto(s: string, ctx: number, hits: Hits): void {
    if (this.enabled !== 0) scanBuiltins(s, this.enabled, ctx, hits);
    const custom = this.#custom;
    // An index loop: an iterator per scanned string costs more than the scan of a short value.
    for (let c = 0; c < custom.length; c++) {
      const { kind, re } = custom[c]!;
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(s)) !== null) {
        const len = m[0].length;
        if (len === 0) {
          re.lastIndex++;
          continue;
        }
        hits.add(kind, m.index, m.index + len);
      }
    }
  }

  /** The token for one value of `kind`. */
  token(kind: number, value: string): string {
    return this.pseudonymizer === undefined ? this.#redactTokens[kind]! : this.pseudonymizer.token(this.kinds[kind]!.type, value);
  }

  /** Masks `s`; `path` is only needed for explain findings in JSON; `encoded` as in scan. */
  maskString(s: string, ctx: number, report: MaskReport | undefined, path: readonly (string | number)[] | undefined, encoded = true): string {
    const count = this.scan(s, ctx, encoded);
    if (count === 0) return s;
    const { starts, ends, kinds } = this.#hits;
    const pseudo = this.pseudonymizer !== undefined;
    let out = '';
    let pos = 0;
    for (let k = 0; k < count; k++) {
      const start = starts[k]!;
      const end = ends[k]!;
      const kind = kinds[k]!;
      const info = this.kinds[kind]!;
      const original = pseudo || report?.findings !== undefined ? s.slice(start, end) : '';
      const token = this.token(kind, original);
      out += s.slice(pos, start);
      out += token;
      pos = end;
      if (report !== undefined) {
        const finding = report.findings === undefined ? undefined : makeFinding(info, start, end, path);
        report.record(info.type, pseudo ? token : undefined, pseudo ? original : undefined, finding);
      }
    }
    out += s.slice(pos);
    return out;
  }

  /** The findings in plain text `s`, without masking. */
  findings(s: string): Finding[] {
    const count = this.scan(s, 0);
    const out: Finding[] = [];
    const { starts, ends, kinds } = this.#hits;
    for (let k = 0; k < count; k++) out.push(makeFinding(this.kinds[kinds[k]!]!, starts[k]!, ends[k]!, undefined));
    return out;
  }

  /** The token of a whole value masked by `fields`, recorded in the report. */
  fieldToken(value: unknown, source: string, report: MaskReport | undefined, path: readonly (string | number)[] | undefined): string {
    return this.wholeToken(K_FIELD, typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'), report, path, `field:${source}`);
  }

  /** The token of a whole value of `kind` (not found by scanning it), recorded in the report. */
  wholeToken(kind: number, text: string, report: MaskReport | undefined, path: readonly (string | number)[] | undefined, detector = this.kinds[kind]!.detector): string {
    const token = this.token(kind, text);
    if (report !== undefined) {
      const type = this.kinds[kind]!.type;
      const finding = report.findings === undefined ? undefined : { type, detector, start: 0, end: text.length, ...(path ? { path: [...path] } : {}) };
      report.record(type, this.pseudonymizer ? token : undefined, this.pseudonymizer ? text : undefined, finding);
    }
    return token;
  }
}

function makeFinding(info: KindInfo, start: number, end: number, path: readonly (string | number)[] | undefined): Finding {
  return path === undefined ? { type: info.type, detector: info.detector, start, end } : { type: info.type, detector: info.detector, start, end, path: [...path] };
}
