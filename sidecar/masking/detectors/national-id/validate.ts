// Which national-identifier rules a written value passes, checksum and structure, wherever it
// stands: the validators the detectors use, without the scanner's context (cue words, token
// boundaries). For evaluation and tests: "is this labelled number valid at all?".
import { deRvnr, esDniNie, fiHetu, iePpsn, itCodiceFiscale, ukNino } from './alnum.ts';
import { RULES_BY_LENGTH } from './digits.ts';

/** The alphanumeric formats, by name; each takes the value in upper case without separators. */
const ALNUM_RULES: readonly (readonly [string, (v: string) => boolean])[] = [
  ['ES DNI/NIE', (v) => esDniNie(v) || (/^\d{7}[A-Z]$/u.test(v) && esDniNie(`0${v}`))],
  ['IT codice fiscale', itCodiceFiscale],
  ['UK NINO', ukNino],
  ['IE PPSN', iePpsn],
  ['DE RVNR', deRvnr],
];

/** Names of the rules ("PL PESEL", "FI HETU", ...) the value passes; separators (space . / -) are ignored. */
export function nationalIdRulesPassed(value: string): string[] {
  const upper = value.trim().toUpperCase();
  const compact = upper.replace(/[ ./_-]/gu, '');
  const out = new Set<string>();
  // The HETU's century sign may be '-' or '+': checked as written.
  if (fiHetu(upper)) out.add('FI HETU');
  if (/^\d+$/u.test(compact)) {
    for (const r of RULES_BY_LENGTH[compact.length] ?? []) if (r.valid(compact)) out.add(r.name);
  } else {
    for (const [name, valid] of ALNUM_RULES) if (valid(compact)) out.add(name);
  }
  return [...out];
}
