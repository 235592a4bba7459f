// The masking engine's public face: build a Masker from a policy's `masking` section and mask
// text, JSON values, JSON text (and, in sse.ts, event streams) with it. Pure: no I/O, no
// logging; the key is held in a KeyObject and never leaves it.
//
// Tokens: redact writes [TYPE]; pseudonymize writes [TYPE_xxxxxxxx] (see pseudonym.ts for the
// HMAC and the per-type normalization). Overlapping findings merge into one masked span typed
// by priority SECRET > CREDIT_CARD > IBAN > SSN > EMAIL > PHONE > IP_ADDRESS > custom
// detectors (in policy order); see hits.ts. Values masked because of `fields` get TYPE FIELD.
//
// Where the work happens: scanner.ts runs every built-in detector in one pass over a string
// (detectors/*.ts hold the rules), core.ts adds custom patterns and writes tokens, json.ts
// walks parsed values, json-text.ts masks JSON text in place, sse.ts masks event streams.
import type { BuiltinDetector } from '../../policy/builtin-detectors.ts';
import type { CustomDetector, ResolvedPolicy } from '../../policy/types.ts';
import { FIELD_TYPE, MaskCore } from './core.ts';
import { compileFields, JsonMasker, MaskingDepthError } from './json.ts';
import { JsonTextMasker } from './json-text.ts';
import { MaskReport, type Finding } from './report.ts';

export { FIELD_TYPE, MaskReport, MaskingDepthError };
export type { Finding };
export type { MaskReportOptions } from './report.ts';

export interface MaskingConfig {
  readonly mode: 'redact' | 'pseudonymize';
  /** The HMAC key; required for pseudonymize, ignored by redact. */
  readonly key?: Uint8Array;
  readonly detectors: readonly BuiltinDetector[];
  readonly custom: readonly CustomDetector[];
  /** JSONPaths whose whole value is masked (TYPE FIELD). */
  readonly fields: readonly string[];
}

export function maskingConfigFromPolicy(masking: ResolvedPolicy['masking'], key: Uint8Array | undefined): MaskingConfig {
  return {
    mode: masking.mode,
    ...(key !== undefined ? { key } : {}),
    detectors: masking.detectors,
    custom: masking.custom,
    fields: masking.fields,
  };
}

export class Masker {
  readonly mode: 'redact' | 'pseudonymize';
  readonly #core: MaskCore;
  readonly #json: JsonMasker;
  readonly #jsonText: JsonTextMasker;

  /** Throws when the configuration cannot work: pseudonymize without a key, an unsafe custom pattern, a bad field path. */
  constructor(config: MaskingConfig) {
    if (config.mode === 'pseudonymize' && (config.key === undefined || config.key.length === 0)) {
      throw new Error('masking mode pseudonymize needs a key (masking.keySecret); none was given');
    }
    this.mode = config.mode;
    this.#core = new MaskCore(config.detectors, config.custom, config.mode === 'pseudonymize' ? config.key : undefined);
    const fields = compileFields(config.fields);
    this.#json = new JsonMasker(this.#core, fields);
    this.#jsonText = new JsonTextMasker(this.#core, fields);
  }

  /** Masks plain text. Returns `text` itself when nothing is found. */
  maskText(text: string, report?: MaskReport): string {
    return this.#core.maskString(text, 0, report, undefined);
  }

  /**
   * Masks every string in a JSON value (keys untouched, JSON inside strings parsed and masked,
   * `fields` replaced whole). Returns a new value where something changed, sharing every
   * unchanged subtree; the input is never modified. Throws MaskingDepthError for documents
   * nested deeper than MAX_JSON_DEPTH: do not forward what could not be masked.
   */
  maskJson<T>(value: T, report?: MaskReport): T {
    if (report === undefined) return this.#json.mask(value, undefined) as T;
    // A failed walk must not leave half its counts behind.
    const scratch = report.scratch();
    const out = this.#json.mask(value, scratch) as T;
    report.merge(scratch);
    return out;
  }

  /**
   * Masks a JSON text: the same result as JSON.parse + maskJson + JSON.stringify, computed in
   * place on the text (see json-text.ts), so the document keeps its formatting and a text in
   * which nothing is found comes back as the same string. Text that is not JSON is masked as
   * plain text.
   */
  maskJsonText(text: string, report?: MaskReport): string {
    let k = 0;
    let c = text.charCodeAt(0);
    while (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff) c = text.charCodeAt(++k);
    if (c !== 123 && c !== 91 && c !== 34) return this.maskText(text, report);
    // A text that fails to parse half-way must not leave half its counts behind.
    const scratch = report?.scratch();
    const masked = this.#jsonText.mask(text, scratch);
    if (masked === undefined) return this.maskText(text, report);
    if (scratch !== undefined) report!.merge(scratch);
    return masked;
  }

  /** The token `value` gets as a `type` (for finding a data subject's records). Pseudonymize only. */
  pseudonym(type: string, value: string): string {
    const p = this.#core.pseudonymizer;
    if (p === undefined) throw new Error('pseudonym() needs pseudonymize mode: redact tokens do not identify values');
    return p.token(type, value);
  }

  /** What maskText would mask in `text`, without masking it. */
  detect(text: string): Finding[] {
    return this.#core.findings(text);
  }
}
