// Whether a candidate is the whole of the string being scanned (a JSON string value, a JSON
// number's digits, a plain-text argument), give or take surrounding whitespace. A whole value
// that validates as a structured identifier is that identifier, not a number that happens to
// sit in prose: identifier formats too weak to stand alone in text may stand alone there.

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Whether s[start, end) is all of `s` but whitespace. */
export function entireValue(s: string, start: number, end: number): boolean {
  for (let k = 0; k < start; k++) if (!isBlank(s.charCodeAt(k))) return false;
  for (let k = end; k < s.length; k++) if (!isBlank(s.charCodeAt(k))) return false;
  return true;
}
