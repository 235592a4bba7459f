// SECRET: credentials recognisable by their published prefixes. Each needs a word boundary
// before it and a minimum length after the prefix, so "sk-learn" or "xoxo" stay text.
//
//   AWS access key ids      AKIA / ASIA / ABIA / ACCA + 16 upper-case letters or digits
//   GitHub                  ghp_ gho_ ghu_ ghs_ ghr_ + 36..251 alphanumerics; github_pat_ + 22+
//   Slack                   xoxa- xoxb- xoxp- xoxr- xoxs- xoxe- xapp- + 10+
//   OpenAI                  sk- / sk-proj- / sk-svcacct- / sk-admin- + 20+ (letters and digits)
//   Anthropic               sk-ant- + 20+
//   Stripe                  sk_live_ sk_test_ rk_live_ rk_test_ + 16+
//   Google API keys         AIza + 35
//   npm                     npm_ + 36
//   Bearer tokens           "Bearer <16+ chars with a digit>"
import { codeAt, isAsciiAlnum, isDigit, isUpper, isWordCode } from '../chars.ts';
import { K_ANTHROPIC, K_AWS, K_BEARER, K_GITHUB, K_GOOGLE, K_NPM, K_OPENAI, K_SLACK, K_STRIPE, type Hits } from '../hits.ts';
import { isBase64UrlCode } from './jwt.ts';

type CharTest = (c: number) => boolean;

/** End of the run of `ok` characters from `j`, at most `max` long. */
function run(s: string, j: number, ok: CharTest, max: number): number {
  const stop = Math.min(s.length, j + max);
  while (j < stop && ok(s.charCodeAt(j))) j++;
  return j;
}

function isUpperOrDigit(c: number): boolean {
  return isUpper(c) || isDigit(c);
}

function isAlnumOrUnderscore(c: number): boolean {
  return isAsciiAlnum(c) || c === 95;
}

function isSlackChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 45;
}

function isTokenChar(c: number): boolean {
  // RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" then "="s.
  return isAsciiAlnum(c) || c === 45 || c === 46 || c === 95 || c === 126 || c === 43 || c === 47 || c === 61;
}

/** A body of at least `min` characters ending at a boundary: returns its end or -1. */
function body(s: string, j: number, ok: CharTest, min: number, max: number): number {
  const e = run(s, j, ok, max + 1);
  if (e - j < min || e - j > max || ok(codeAt(s, e))) return -1;
  return e;
}

function mixed(s: string, start: number, end: number): boolean {
  let letter = false;
  let digit = false;
  for (let k = start; k < end && !(letter && digit); k++) {
    const c = s.charCodeAt(k);
    if (isDigit(c)) digit = true;
    else if (isAsciiAlnum(c)) letter = true;
  }
  return letter && digit;
}

function found(hits: Hits, kind: number, start: number, end: number): number {
  if (end < 0) return -1;
  hits.add(kind, start, end);
  return end;
}

/**
 * `i` is at an ASCII letter that starts a token (the caller checked the character before).
 * Returns the end of a prefixed credential starting there, or -1.
 */
export function detectPrefixedToken(s: string, i: number, hits: Hits): number {
  const c = s.charCodeAt(i);
  switch (c) {
    case 65: // A
      if (s.startsWith('AKIA', i) || s.startsWith('ASIA', i) || s.startsWith('ABIA', i) || s.startsWith('ACCA', i)) {
        const e = run(s, i + 4, isUpperOrDigit, 17);
        return e - i === 20 && !isWordCode(codeAt(s, e)) ? found(hits, K_AWS, i, e) : -1;
      }
      if (s.startsWith('AIza', i)) return found(hits, K_GOOGLE, i, body(s, i + 4, isBase64UrlCode, 35, 35));
      return -1;
    case 66: // B
    case 98: // b
      return detectBearer(s, i, hits);
    case 103: // g
      if (s.charCodeAt(i + 1) === 104 && s.charCodeAt(i + 3) === 95) {
        const t = s.charCodeAt(i + 2);
        if (t === 112 || t === 111 || t === 117 || t === 115 || t === 114) return found(hits, K_GITHUB, i, body(s, i + 4, isAsciiAlnum, 36, 251));
      }
      if (s.startsWith('github_pat_', i)) return found(hits, K_GITHUB, i, body(s, i + 11, isAlnumOrUnderscore, 22, 251));
      return -1;
    case 110: // n
      return s.startsWith('npm_', i) ? found(hits, K_NPM, i, body(s, i + 4, isAsciiAlnum, 36, 36)) : -1;
    case 114: // r
    case 115: // s
      if (s.charCodeAt(i + 1) === 107) {
        const sep = s.charCodeAt(i + 2);
        if (sep === 95 && (s.startsWith('live_', i + 3) || s.startsWith('test_', i + 3))) {
          return found(hits, K_STRIPE, i, body(s, i + 8, isAsciiAlnum, 16, 247));
        }
        if (sep === 45 && c === 115) {
          const anthropic = s.startsWith('ant-', i + 3);
          const e = body(s, i + 3, isBase64UrlCode, 20, 256);
          if (e < 0 || !mixed(s, i + 3, e)) return -1;
          return found(hits, anthropic ? K_ANTHROPIC : K_OPENAI, i, e);
        }
      }
      return -1;
    case 120: // x
      if ((s.startsWith('xox', i) && 'abprse'.includes(s[i + 3] ?? ' ') && s.charCodeAt(i + 4) === 45) || s.startsWith('xapp-', i)) {
        return found(hits, K_SLACK, i, body(s, i + 5, isSlackChar, 10, 256));
      }
      return -1;
    default:
      return -1;
  }
}

function detectBearer(s: string, i: number, hits: Hits): number {
  if (!(s.startsWith('Bearer', i) || s.startsWith('bearer', i)) || s.charCodeAt(i + 6) !== 32) return -1;
  let j = i + 7;
  while (s.charCodeAt(j) === 32) j++;
  const e = run(s, j, isTokenChar, 4096);
  // Trailing dots are sentence punctuation, not token characters.
  let end = e;
  while (end > j && s.charCodeAt(end - 1) === 46) end--;
  if (end - j < 16 || isWordCode(codeAt(s, e)) || !mixed(s, j, end)) return -1;
  return found(hits, K_BEARER, j, end);
}
