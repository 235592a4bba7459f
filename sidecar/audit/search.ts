// Subject search (a GDPR access request): which records hold a given person's data? In
// pseudonymize mode a value always becomes the same token under the same key, so the tokens of
// the subject's value are derived with the policy's key and every record holding one is listed.
// Redact mode writes [EMAIL] for everyone: nothing in the log can identify a subject.
import { DETECTOR_TYPES } from '../../policy/builtin-detectors.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import { FIELD_TYPE, type Masker } from '../masking/engine.ts';
import { listSegments } from './layout.ts';
import { readLines } from './lines.ts';

export interface SubjectToken {
  readonly type: string;
  readonly token: string;
  /** detected: the masker finds this type in the value; assumed: the value taken whole as that type. */
  readonly how: 'detected' | 'assumed';
}

/** Every TYPE the policy can write into a token. */
export function policyTypes(masking: ResolvedPolicy['masking']): string[] {
  const types = masking.detectors.map((d) => DETECTOR_TYPES[d]);
  types.push(...masking.custom.map((c) => c.name));
  if (masking.fields.length > 0) types.push(FIELD_TYPE);
  return types;
}

/**
 * The tokens `value` can have been written as: each detected part with its detected type, and
 * the whole value under every type the policy uses (a value masked because of its field, or one
 * a detector would only match in context). A wrong type costs nothing: its token matches no one.
 */
export function subjectTokens(masker: Masker, types: readonly string[], value: string): SubjectToken[] {
  const out = new Map<string, SubjectToken>();
  for (const f of masker.detect(value)) {
    const token = masker.pseudonym(f.type, value.slice(f.start, f.end));
    if (!out.has(token)) out.set(token, { type: f.type, token, how: 'detected' });
  }
  for (const type of types) {
    const token = masker.pseudonym(type, value);
    if (!out.has(token)) out.set(token, { type, token, how: 'assumed' });
  }
  // "Dear Ms Doe", "Herr Müller": after a title only the surname is masked, so a person is also
  // searched by the last word of their name.
  const words = value.trim().split(/\s+/u);
  if (types.includes('PERSON') && words.length > 1) {
    const token = masker.pseudonym('PERSON', words[words.length - 1]!);
    if (!out.has(token)) out.set(token, { type: 'PERSON', token, how: 'assumed' });
  }
  return [...out.values()];
}

export interface SearchHit {
  readonly file: string;
  readonly line: number;
  /** The record's line as stored. */
  readonly text: string;
  readonly tokens: readonly string[];
  /** The subject is the record's principal (principal.sub equals the value, ignoring case). */
  readonly principal: boolean;
}

/**
 * Records (in seq order) holding any of `tokens`, or whose principal.sub is `subject` (ignoring
 * case: subjects are often e-mail addresses or UPNs, which are).
 */
export async function* searchAuditDir(dir: string, tokens: readonly string[], subject?: string): AsyncGenerator<SearchHit> {
  const wanted = subject?.toLowerCase();
  const quoted = wanted === undefined ? undefined : JSON.stringify(wanted);
  for (const segment of await listSegments(dir)) {
    for await (const line of readLines(segment.path)) {
      if (!line.complete) continue;
      const found = tokens.filter((t) => line.text.includes(t));
      let principal = false;
      if (quoted !== undefined && line.text.toLowerCase().includes(quoted)) {
        try {
          const sub = (JSON.parse(line.text) as { principal?: { sub?: unknown } }).principal?.sub;
          principal = typeof sub === 'string' && sub.toLowerCase() === wanted;
        } catch {
          principal = false;
        }
      }
      if (found.length > 0 || principal) yield { file: segment.name, line: line.lineNo, text: line.text, tokens: found, principal };
    }
  }
}
