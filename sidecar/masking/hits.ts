// The detectors' output: spans with a kind, kept in typed arrays that are reused from one string
// to the next, so scanning a string in which nothing is found allocates nothing.

/** Kinds of finding. The built-in ones are fixed; custom detectors get CUSTOM_BASE + their index. */
export const K_EMAIL = 0;
export const K_PHONE = 1;
export const K_CARD = 2;
export const K_IBAN = 3;
export const K_SSN = 4;
export const K_IPV4 = 5;
export const K_IPV6 = 6;
export const K_PEM = 7;
export const K_JWT = 8;
export const K_AWS = 9;
export const K_GITHUB = 10;
export const K_SLACK = 11;
export const K_OPENAI = 12;
export const K_ANTHROPIC = 13;
export const K_STRIPE = 14;
export const K_GOOGLE = 15;
export const K_NPM = 16;
export const K_BEARER = 17;
export const K_ASSIGNMENT = 18;
export const K_SAS = 19;
export const K_SECRET_KEY = 20;
export const K_FIELD = 21;
// Issue 14's two halves: identifiers fill 22-23, people keep 24-31, the rest of the identifiers
// follow from 32. Kinds are indices (into typed arrays and kind tables), never bits, so going past 31 is free.
export const K_NATIONAL_ID = 22;
export const K_PASSPORT = 23;
// People: one kind per way of knowing, so --explain can say what vouched for the finding.
export const K_PERSON_LEXICON = 24;
export const K_PERSON_CUE = 25;
export const K_PERSON_KEY = 26;
export const K_ADDRESS_TEXT = 27;
export const K_ADDRESS_KEY = 28;
export const K_DOB_TEXT = 29;
export const K_DOB_KEY = 30;
export const K_NATIONAL_ID_KEY = 31;
export const K_VAT_ID = 32;
export const K_SECRET_FORMAT = 33;
export const K_CREDENTIAL_URL = 34;
// NATIONAL_ID by what vouched beyond the checksum: a cue word before it, or being the whole value.
export const K_NATIONAL_ID_CUE = 35;
export const K_NATIONAL_ID_WHOLE = 36;
export const CUSTOM_BASE = 40;

export interface KindInfo {
  /** The TYPE in tokens and counts. */
  readonly type: string;
  /** Which detector found it, for --explain: "email", "secret:jwt", "custom:EMPLOYEE_ID". */
  readonly detector: string;
  /** Lower wins when findings overlap. */
  readonly priority: number;
}

// Overlap priority by TYPE: a secret inside anything else is the worst leak, then the
// identifiers with check digits (they are the least likely to be wrong), then the rest.
const TYPE_PRIORITY: Readonly<Record<string, number>> = {
  SECRET: 0,
  CREDIT_CARD: 1,
  IBAN: 2,
  SSN: 3,
  NATIONAL_ID: 3,
  VAT_ID: 3,
  EMAIL: 4,
  PASSPORT: 5,
  PHONE: 5,
  IP_ADDRESS: 6,
  DATE_OF_BIRTH: 7,
  ADDRESS: 8,
  PERSON: 8,
};

function builtin(type: string, detector: string): KindInfo {
  return { type, detector, priority: TYPE_PRIORITY[type] ?? 9 };
}

export const BUILTIN_KINDS: readonly KindInfo[] = [
  builtin('EMAIL', 'email'),
  builtin('PHONE', 'phone'),
  builtin('CREDIT_CARD', 'creditCard'),
  builtin('IBAN', 'iban'),
  builtin('SSN', 'ssn'),
  builtin('IP_ADDRESS', 'ipAddress:v4'),
  builtin('IP_ADDRESS', 'ipAddress:v6'),
  builtin('SECRET', 'secret:private-key'),
  builtin('SECRET', 'secret:jwt'),
  builtin('SECRET', 'secret:aws-access-key'),
  builtin('SECRET', 'secret:github-token'),
  builtin('SECRET', 'secret:slack-token'),
  builtin('SECRET', 'secret:openai-key'),
  builtin('SECRET', 'secret:anthropic-key'),
  builtin('SECRET', 'secret:stripe-key'),
  builtin('SECRET', 'secret:google-api-key'),
  builtin('SECRET', 'secret:npm-token'),
  builtin('SECRET', 'secret:bearer-token'),
  builtin('SECRET', 'secret:assignment'),
  builtin('SECRET', 'secret:sas-signature'),
  builtin('SECRET', 'secret:json-key'),
  { type: 'FIELD', detector: 'field', priority: -1 },
  builtin('NATIONAL_ID', 'nationalId'),
  builtin('PASSPORT', 'passport'),
  builtin('PERSON', 'person:lexicon'),
  builtin('PERSON', 'person:cue'),
  builtin('PERSON', 'person:key'),
  builtin('ADDRESS', 'address:street'),
  builtin('ADDRESS', 'address:key'),
  builtin('DATE_OF_BIRTH', 'dateOfBirth:cue'),
  builtin('DATE_OF_BIRTH', 'dateOfBirth:key'),
  builtin('NATIONAL_ID', 'nationalId:key'),
  builtin('VAT_ID', 'vatId'),
  builtin('SECRET', 'secret:token-format'),
  builtin('SECRET', 'secret:credential-url'),
  builtin('NATIONAL_ID', 'nationalId:cue'),
  builtin('NATIONAL_ID', 'nationalId:whole'),
];

export class Hits {
  count = 0;
  /** End of the last span added; detectors use it to tell a new token from the tail of one just found. */
  lastEnd = 0;
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  kinds = new Uint16Array(16);

  reset(): void {
    this.count = 0;
    this.lastEnd = 0;
  }

  add(kind: number, start: number, end: number): void {
    if (this.count === this.starts.length) this.grow();
    const k = this.count++;
    this.starts[k] = start;
    this.ends[k] = end;
    this.kinds[k] = kind;
    if (end > this.lastEnd) this.lastEnd = end;
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const starts = new Int32Array(size);
    const ends = new Int32Array(size);
    const kinds = new Uint16Array(size);
    starts.set(this.starts);
    ends.set(this.ends);
    kinds.set(this.kinds);
    this.starts = starts;
    this.ends = ends;
    this.kinds = kinds;
  }

  /**
   * Sorts the spans by position and merges overlapping ones into their union, typed by the
   * finding with the best priority (ties: the longer, then the earlier). A union rather than a
   * winner-takes-its-span rule: every character any detector flagged stays masked.
   */
  resolve(kinds: readonly KindInfo[]): void {
    const n = this.count;
    if (n < 2) return;
    const { starts, ends } = this;
    let ordered = true;
    for (let k = 1; k < n; k++) {
      if (starts[k]! < ends[k - 1]! || starts[k]! < starts[k - 1]!) {
        ordered = false;
        break;
      }
    }
    if (ordered) return;
    const idx = Array.from({ length: n }, (_, k) => k);
    idx.sort((a, b) => starts[a]! - starts[b]! || ends[b]! - ends[a]!);
    const ns: number[] = [];
    const ne: number[] = [];
    const nk: number[] = [];
    for (const k of idx) {
      const s = starts[k]!;
      const e = ends[k]!;
      const kind = this.kinds[k]!;
      const last = ns.length - 1;
      if (last >= 0 && s < ne[last]!) {
        const cur = nk[last]!;
        const pa = kinds[kind]!.priority;
        const pb = kinds[cur]!.priority;
        if (pa < pb || (pa === pb && e - s > ne[last]! - ns[last]!)) nk[last] = kind;
        if (e > ne[last]!) ne[last] = e;
      } else {
        ns.push(s);
        ne.push(e);
        nk.push(kind);
      }
    }
    this.count = ns.length;
    for (let k = 0; k < ns.length; k++) {
      starts[k] = ns[k]!;
      ends[k] = ne[k]!;
      this.kinds[k] = nk[k]!;
    }
  }
}
