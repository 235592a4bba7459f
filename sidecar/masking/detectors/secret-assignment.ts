// SECRET: values assigned to a name that says it is a credential, in any of the usual
// notations: password=..., "api_key": "...", passwd: ..., client-secret = '...',
// Authorization: Bearer ..., AccountKey=... in an Azure connection string, and sig=... in a
// query string that also has sv= or se= (an Azure SAS token), plus the password in a URL's
// user info (scheme://user:password@host). Only the value is masked; the name stays, so a
// reader still sees what was there.
//
// A name counts when, lower-cased and stripped of '_', '-' and '.', it ends with one of
// SECRET_NAME_SUFFIXES: "db_password" and "x-api-key" do, "max_tokens", "token_count" and
// "secretName" do not. Placeholders (empty, null, ****, ${VAR}, <password>, an existing mask
// token) are not secrets and stay.
import { codeAt, isAsciiAlnum, isSpaceCode } from '../chars.ts';
import { K_ASSIGNMENT, K_SAS, type Hits } from '../hits.ts';

export const SECRET_NAME_SUFFIXES: readonly string[] = [
  'password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'accesskey', 'secretkey', 'privatekey',
  'accountkey', 'subscriptionkey', 'signingkey', 'encryptionkey', 'masterkey', 'authorization', 'credential',
  'credentials', 'connectionstring', 'pwd',
];

// Last letters of the suffixes: most ':' and '=' in text are rejected on this one comparison.
const LAST_LETTERS = new Set(SECRET_NAME_SUFFIXES.map((w) => w.charCodeAt(w.length - 1)));
const NOT_SECRET_NAMES = new Set(['pwd', 'oldpwd']);

/** Whether a key name (as written) names a credential. */
export function isSecretName(name: string): boolean {
  const last = name.charCodeAt(name.length - 1) | 0x20;
  if (!LAST_LETTERS.has(last)) return false;
  const norm = name.toLowerCase().replace(/[-_.\s]/gu, '');
  if (NOT_SECRET_NAMES.has(norm)) return false;
  for (const w of SECRET_NAME_SUFFIXES) if (norm.endsWith(w)) return true;
  return false;
}

const MASK_TOKEN = /^\[[A-Z][A-Z0-9_]*?(?:_[0-9a-f]{8})?\]$/u;
const PLACEHOLDER =
  /^(?:null|nil|none|undefined|true|false|\*+|x{3,}|\.{3}|…|<[^<>]*>|\$\{[^}]*\}|\{\{.*\}\}|\$\([^)]*\)|\$[A-Z_][A-Z0-9_]*|%\(?[a-z_]*\)?s|redacted|\[redacted\]|masked|hidden|required|optional|string|str|number|int|integer|boolean|bool|bytes|any|unknown|object)[;,]?$/iu;
// Code, not a value: process.env.DB_PASSWORD, config.secret, os.getenv( ...
const CODE_REFERENCE = /^(?:(?:process|os|env|this|self|config|cfg|settings|options|opts|args|params|req|request|ctx|context|secrets|vars|input|props|import\.meta)\.[\w$.[\]'"]+|[A-Za-z_$][\w$.]*\()$/u;

/** Whether s[start, end) is a placeholder or an existing mask, not a secret value. */
export function isPlaceholderValue(s: string, start: number, end: number): boolean {
  if (end <= start) return true;
  const c = s.charCodeAt(start);
  if (c === 123 || (c === 91 && !MASK_TOKEN.test(s.slice(start, end)))) return true; // '{', '[': structure, not a value
  if (c === 36 && (s.charCodeAt(start + 1) === 123 || s.charCodeAt(start + 1) === 40)) return true; // ${VAR}, $(cmd)
  if (end - start > 80) return false;
  const v = s.slice(start, end);
  if (MASK_TOKEN.test(v) || PLACEHOLDER.test(v) || CODE_REFERENCE.test(v)) return true;
  // Short all-digit values under these names are counts and limits, not credentials.
  if (end - start < 6 && /^\d+$/u.test(v)) return true;
  return false;
}

function isKeyChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 95 || c === 45 || c === 46;
}

function isSasChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 37 || c === 43 || c === 47 || c === 61;
}

function isValueStop(c: number): boolean {
  // whitespace " ' ` & ; , < > ) ] } \
  return isSpaceCode(c) || c === 34 || c === 39 || c === 96 || c === 38 || c === 59 || c === 44 || c === 60 || c === 62 || c === 41 || c === 93 || c === 125 || c === 92;
}

// Type names that sit between a Go or Kotlin variable and its '=' ("var token string = ...").
const TYPE_NAMES = new Set(['string', 'String', 'bytes', 'const']);
const KEY_ATTRIBUTE = /\b(?:key|name)\s*=\s*["']([\w.:-]{1,64})["'][^<>]*$/u;

const AUTH_SCHEMES = /^(?:Bearer|Basic|Token|Digest|Negotiate|SharedKey|SSWS|Splunk)$/iu;

/**
 * `k` is at a ':' or '='. Looks back for a credential name and, when there is one, adds the
 * value after `k`. Returns the end of the value, or -1.
 */
export function detectAssignment(s: string, k: number, hits: Hits): number {
  // The name: optional spaces and a closing quote (possibly JSON-escaped) before the operator.
  // "?=", "+=", ".=" and ":=" (Makefile, PHP, Go) have one more character before the '='.
  let j = k;
  const op = s.charCodeAt(k);
  if (op === 61) {
    const p = codeAt(s, k - 1);
    if (p === 63 || p === 43 || p === 46) j--;
  }
  while (j > 0 && j > k - 3 && s.charCodeAt(j - 1) === 32) j--;
  let q = codeAt(s, j - 1);
  // $config['secret'] = ..., settings["api_key"] = ...: the name is the subscript.
  if (q === 93 && (codeAt(s, j - 2) === 39 || codeAt(s, j - 2) === 34)) q = codeAt(s, --j - 1);
  if (q === 34 || q === 39) {
    j--;
    if (codeAt(s, j - 1) === 92) j--;
    q = codeAt(s, j - 1);
  }
  // "redis://:password@host": user info with an empty user name.
  if (op === 58 && j === k && q === 47 && codeAt(s, k - 2) === 47 && codeAt(s, k - 3) === 58) return detectUrlPassword(s, k, k, hits);
  if (q < 0 || !isAsciiAlnum(q)) return -1;
  const last = q | 0x20;
  if (!LAST_LETTERS.has(last) && !(last === 103 && op === 61)) {
    return op === 58 && isAsciiAlnum(codeAt(s, k + 1)) ? detectUrlPassword(s, j, k, hits) : -1;
  }
  let ks = j;
  while (ks > 0 && j - ks < 48 && isKeyChar(s.charCodeAt(ks - 1))) ks--;
  let name = s.slice(ks, j);
  if (TYPE_NAMES.has(name)) {
    // Go's "var apiKey string = ...": the name is the word before the type.
    let b = ks;
    while (b > 0 && ks - b < 3 && s.charCodeAt(b - 1) === 32) b--;
    let a = b;
    while (a > 0 && b - a < 48 && isKeyChar(s.charCodeAt(a - 1))) a--;
    if (b < ks) {
      name = s.slice(a, b);
      ks = a;
    }
  } else if (op === 61 && (name === 'value' || name === 'Value')) {
    // <add key="ApiKey" value="..."/>: the credential's name is in the key attribute.
    const attr = KEY_ATTRIBUTE.exec(s.slice(Math.max(0, ks - 120), ks));
    if (attr !== null) name = attr[1]!;
  }
  const sas = op === 61 && (name === 'sig' || name === 'Sig');
  if (!sas && !isSecretName(name)) {
    return op === 58 && isAsciiAlnum(codeAt(s, k + 1)) ? detectUrlPassword(s, j, k, hits) : -1;
  }

  // The value: after the operator (":", "=", ":=", "::=", ":::=", "=>") and spaces, quoted or bare.
  let v = k + 1;
  if (op === 58) while (v - k < 3 && codeAt(s, v) === 58) v++;
  if (codeAt(s, v) === 61 || codeAt(s, v) === 62) v++;
  while (v < s.length && v - k < 8 && (s.charCodeAt(v) === 32 || s.charCodeAt(v) === 9)) v++;
  if (sas) {
    let e = v;
    while (e < s.length && isSasChar(s.charCodeAt(e))) e++;
    if (e - v < 10 || !sasContext(s, ks, e)) return -1;
    hits.add(K_SAS, v, e);
    return e;
  }
  let [vs, ve] = valueAt(s, v);
  if (ve < 0) return -1;
  // "Authorization: Bearer abc...": the scheme is not the secret, the credential after it is.
  if (name.toLowerCase().endsWith('authorization') && AUTH_SCHEMES.test(s.slice(vs, ve)) && s.charCodeAt(ve) === 32) {
    let t = ve;
    while (s.charCodeAt(t) === 32) t++;
    [vs, ve] = valueAt(s, t);
    if (ve < 0) return -1;
  }
  if (isPlaceholderValue(s, vs, ve)) return -1;
  hits.add(K_ASSIGNMENT, vs, ve);
  return ve;
}

/** The value starting at v: [start, end) of its content, or [-1, -1]. */
function valueAt(s: string, v: number): [number, number] {
  const n = s.length;
  let quote = codeAt(s, v);
  // A JSON-escaped quote (\"secret\") when the text is JSON that was itself put in a string.
  const escaped = quote === 92 && (codeAt(s, v + 1) === 34 || codeAt(s, v + 1) === 39);
  if (escaped) quote = s.charCodeAt(++v);
  if (quote === 34 || quote === 39 || quote === 96) {
    const start = v + 1;
    const stop = Math.min(n, start + 4096);
    for (let e = start; e < stop; e++) {
      const d = s.charCodeAt(e);
      if (d === 10 || d === 13) return [-1, -1];
      if (escaped) {
        if (d === 92 && codeAt(s, e + 1) === quote) return e > start ? [start, e] : [-1, -1];
      } else if (d === 92) e++;
      else if (d === quote) return e > start ? [start, e] : [-1, -1];
    }
    return [-1, -1];
  }
  let e = v;
  while (e < n && e - v < 4096 && !isValueStop(s.charCodeAt(e))) e++;
  // A sentence's closing period is not part of the value.
  while (e > v + 1 && s.charCodeAt(e - 1) === 46) e--;
  return e > v ? [v, e] : [-1, -1];
}

// The last query examined: the parameters of one URL share it, so it is scanned once.
let sasText = '';
let sasFrom = 0;
let sasTo = 0;
let sasResult = false;

/** Forgets the last query, so no text outlives the scan that read it. */
export function endAssignmentScan(): void {
  sasText = '';
}

/** The query around a sig= also carries sv= or se=: an Azure shared access signature. */
function sasContext(s: string, from: number, to: number): boolean {
  if (s === sasText && from >= sasFrom && to <= sasTo) return sasResult;
  let a = from;
  while (a > 0 && from - a < 600 && !isSpaceCode(s.charCodeAt(a - 1)) && s.charCodeAt(a - 1) !== 34) a--;
  let b = to;
  while (b < s.length && b - to < 600 && !isSpaceCode(s.charCodeAt(b)) && s.charCodeAt(b) !== 34) b++;
  sasText = s;
  sasFrom = a;
  sasTo = b;
  sasResult = /(?:^|[?&;])s[ve]=/u.test(s.slice(a, b));
  return sasResult;
}

/** `k` is at the ':' in "scheme://user:password@host". Adds the password. */
function detectUrlPassword(s: string, nameEnd: number, k: number, hits: Hits): number {
  // Forward first: the password must run into an '@', which rules out times and most else at once.
  let e = k + 1;
  while (e < s.length && e - k < 256 && isUserInfoChar(s.charCodeAt(e))) e++;
  if (s.charCodeAt(e) !== 64 || e === k + 1) return -1;
  let a = nameEnd;
  while (a > 0 && nameEnd - a < 128 && isUserInfoChar(s.charCodeAt(a - 1))) a--;
  if (!(s.charCodeAt(a - 1) === 47 && s.charCodeAt(a - 2) === 47 && s.charCodeAt(a - 3) === 58)) return -1;
  hits.add(K_ASSIGNMENT, k + 1, e);
  return e;
}

function isUserInfoChar(c: number): boolean {
  // unreserved / pct-encoded / sub-delims (RFC 3986), minus ':' for the user part.
  // Plus '#', which belongs percent-encoded but is often pasted raw.
  return isAsciiAlnum(c) || c === 45 || c === 46 || c === 95 || c === 126 || c === 37 || c === 33 || c === 36 || c === 38 || c === 39 || c === 40 || c === 41 || c === 42 || c === 43 || c === 44 || c === 59 || c === 61 || c === 35;
}
