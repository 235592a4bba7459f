// The shapes around a run of digits that the scanner reads before it asks a detector: the
// separators a number may be grouped with, how many digits lie ahead through them, and the
// dates and timestamps it skips whole. Pure, and allocation-free: they run in the scan loop.
import { codeAt, isAlnumCode, isDigit } from './chars.ts';

export function isSepCode(c: number): boolean {
  return c === 32 || c === 45 || c === 46 || c === 47;
}

/** Digits from j on, through separators and parentheses (at most two in a row), counting from `have`; stops at `cap`. */
export function digitsAhead(s: string, j: number, have: number, cap: number): number {
  const n = s.length;
  let gap = 0;
  while (j < n && have < cap) {
    const c = s.charCodeAt(j);
    if (isDigit(c)) {
      have++;
      gap = 0;
    } else if ((isSepCode(c) || c === 40 || c === 41) && gap < 2) gap++;
    else break;
    j++;
  }
  return have;
}

// codeAt: dates end many values, and a charCodeAt past the end sends V8 down a slow path.
function twoDigits(s: string, j: number): boolean {
  return isDigit(codeAt(s, j)) && isDigit(codeAt(s, j + 1));
}

/**
 * The end of a date at i (yyyy-mm-dd, dd.mm.yyyy, mm/dd/yyyy) and of the ISO 8601 time that
 * may follow (Thh:mm[:ss[.fff]][Z|+hh:mm]), or -1. Dates and timestamps are everywhere in
 * tool results and never a finding, so the scan jumps over them whole.
 */
export function dateEnd(s: string, i: number, run: number, sep: number): number {
  if (sep !== 45 && sep !== 46 && sep !== 47) return -1;
  let j = i + run;
  if (run === 4) {
    if (!twoDigits(s, j + 1) || codeAt(s, j + 3) !== sep || !twoDigits(s, j + 4) || isDigit(codeAt(s, j + 6))) return -1;
    j += 6;
  } else if (run === 2) {
    if (!twoDigits(s, j + 1) || codeAt(s, j + 3) !== sep || !twoDigits(s, j + 4) || !twoDigits(s, j + 6) || isDigit(codeAt(s, j + 8))) return -1;
    j += 8;
  } else return -1;
  const t = codeAt(s, j);
  if ((t === 84 || t === 32) && twoDigits(s, j + 1) && codeAt(s, j + 3) === 58 && twoDigits(s, j + 4)) {
    j += 6;
    if (codeAt(s, j) === 58 && twoDigits(s, j + 1)) {
      j += 3;
      if (codeAt(s, j) === 46 && isDigit(codeAt(s, j + 1))) {
        j += 2;
        while (isDigit(codeAt(s, j))) j++;
      }
    }
    const z = codeAt(s, j);
    if (z === 90) j++;
    else if ((z === 43 || z === 45) && twoDigits(s, j + 1) && codeAt(s, j + 3) === 58 && twoDigits(s, j + 4)) j += 6;
  }
  return isAlnumCode(codeAt(s, j)) ? -1 : j;
}

// One ISO date or timestamp from the first character to the last, in the forms dateEnd reads:
// "2024-03-15", "2024-03-15T10:30:00.123Z", "2024-03-15 10:30+01:00". Most dates in JSON are
// whole values like these.
const WHOLE_ISO_DATE = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?)?$/;

/** Whether s is one ISO date or timestamp that dateEnd, called at its first character, reads to its end. */
export function isWholeIsoDate(s: string): boolean {
  return s.length >= 10 && s.charCodeAt(4) === 45 && WHOLE_ISO_DATE.test(s);
}
