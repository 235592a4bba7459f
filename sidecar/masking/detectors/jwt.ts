// SECRET: JSON Web Tokens. Three base64url parts separated by dots (five for an encrypted JWE),
// the first starting "eyJ" (base64 of '{"') and decoding to a JSON object with an "alg" member:
// that last check keeps other base64-encoded JSON out.
import { codeAt, codeBefore } from '../chars.ts';
import { K_JWT, type Hits } from '../hits.ts';

export function isBase64UrlCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;
}

function headerHasAlg(encoded: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return header !== null && typeof header === 'object' && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/** `i` is at an 'e' that starts a token. Returns the end of a JWT starting there, or -1. */
export function detectJwt(s: string, i: number, hits: Hits): number {
  if (!s.startsWith('eyJ', i) || isBase64UrlCode(codeBefore(s, i)) || codeBefore(s, i) === 46) return -1;
  const n = s.length;
  let j = i;
  while (j < n && isBase64UrlCode(s.charCodeAt(j))) j++;
  const headerEnd = j;
  if (headerEnd - i < 10 || codeAt(s, j) !== 46) return -1;
  let parts = 1;
  let end = j;
  while (parts < 5 && codeAt(s, j) === 46) {
    const ps = ++j;
    while (j < n && isBase64UrlCode(s.charCodeAt(j))) j++;
    parts++;
    // The payload is never empty; a signature may be (alg "none"), a JWE's encrypted key may be.
    if (parts === 2 && j - ps < 2) return -1;
    end = j;
    if (parts === 3 && codeAt(s, j) !== 46) break;
  }
  if (parts !== 3 && parts !== 5) {
    if (parts < 3) return -1;
    // Four parts: the first three are the token and a trailing ".x" is something else.
    end = s.lastIndexOf('.', end - 1);
  }
  if (!headerHasAlg(s.slice(i, headerEnd))) return -1;
  hits.add(K_JWT, i, end);
  return end;
}
