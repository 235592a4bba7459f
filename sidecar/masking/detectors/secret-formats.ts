// SECRET: more credentials known by their shape, as catalogued by gitleaks' rule set (the
// formats are facts; no rule text is reused). Each format is a literal prefix and a body of a
// given alphabet and length that must end at a token boundary. The scanner reaches this module
// only for words whose first two letters begin one of the prefixes (FORMAT_PAIRS).
//
// Azure AD client secrets have no prefix but a fixed mark, "Q~" after three characters and a
// digit ("abc8Q~..."); they are found from the '~' (detectAzureClientSecret).
import { codeAt, isAsciiAlnum, isDigit, isHex, isWordCode } from '../chars.ts';
import { K_SECRET_FORMAT, type Hits } from '../hits.ts';

type CharTest = (c: number) => boolean;

const wordDash: CharTest = (c) => isAsciiAlnum(c) || c === 95 || c === 45;
const letters: CharTest = (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const hex: CharTest = isHex;
const lowerHex: CharTest = (c) => isDigit(c) || (c >= 97 && c <= 102);
const alnum: CharTest = isAsciiAlnum;
const vault: CharTest = (c) => isAsciiAlnum(c) || c === 95 || c === 45;

interface Format {
  readonly name: string;
  readonly prefix: string;
  readonly body: CharTest;
  readonly min: number;
  readonly max: number;
}

const f = (name: string, prefix: string, body: CharTest, min: number, max = min): Format => ({ name, prefix, body, min, max });

const FORMATS: readonly Format[] = [
  f('gitlab-pat', 'glpat-', wordDash, 20, 64),
  f('gitlab-deploy-token', 'gldt-', wordDash, 20, 64),
  f('gitlab-runner-token', 'glrt-', wordDash, 20, 64),
  f('gitlab-pipeline-trigger', 'glptt-', lowerHex, 40),
  f('gitlab-feed-token', 'glft-', wordDash, 20, 64),
  f('gitlab-oauth-secret', 'gloas-', wordDash, 64),
  f('gitlab-runner-registration', 'GR1348941', wordDash, 20, 64),
  f('grafana-cloud-token', 'glc_', (c) => isAsciiAlnum(c) || c === 43 || c === 47 || c === 61, 32, 400),
  f('grafana-service-account', 'glsa_', (c) => isAsciiAlnum(c) || c === 95, 32, 32 + 9),
  f('huggingface-token', 'hf_', letters, 34),
  f('huggingface-org-token', 'api_org_', letters, 34),
  f('pypi-token', 'pypi-AgEIcHlwaS5vcmc', wordDash, 50, 400),
  f('digitalocean-pat', 'dop_v1_', lowerHex, 64),
  f('digitalocean-oauth', 'doo_v1_', lowerHex, 64),
  f('digitalocean-refresh', 'dor_v1_', lowerHex, 64),
  f('databricks-token', 'dapi', lowerHex, 32, 34),
  f('doppler-token', 'dp.pt.', alnum, 43),
  f('dynatrace-token', 'dt0c01.', alnum, 24 + 1 + 64),
  f('linear-api-key', 'lin_api_', alnum, 40),
  f('postman-api-key', 'PMAK-', (c) => isHex(c) || c === 45, 24 + 1 + 34),
  f('pulumi-token', 'pul-', lowerHex, 40),
  f('newrelic-user-key', 'NRAK-', (c) => isDigit(c) || (c >= 65 && c <= 90), 27),
  f('shopify-token', 'shpat_', hex, 32),
  f('shopify-shared-secret', 'shpss_', hex, 32),
  f('shopify-custom-app', 'shpca_', hex, 32),
  f('shopify-private-app', 'shppa_', hex, 32),
  f('sentry-org-token', 'sntrys_', (c) => isAsciiAlnum(c) || c === 43 || c === 47 || c === 61 || c === 95, 40, 400),
  f('sentry-user-token', 'sntryu_', lowerHex, 64),
  f('vault-service-token', 'hvs.', vault, 24, 400),
  f('vault-batch-token', 'hvb.', vault, 24, 400),
  f('figma-token', 'figd_', wordDash, 40, 48),
  f('flyio-token', 'fo1_', wordDash, 43),
  f('flutterwave-secret', 'FLWSECK_TEST-', lowerHex, 32, 33),
  f('flutterwave-secret', 'FLWSECK-', lowerHex, 32, 33),
  f('atlassian-api-token', 'ATATT3', (c) => isAsciiAlnum(c) || c === 95 || c === 45 || c === 61, 180, 200),
  f('age-secret-key', 'AGE-SECRET-KEY-1', (c) => isDigit(c) || (c >= 65 && c <= 90), 58),
  f('square-access-token', 'sq0atp-', wordDash, 22),
  f('square-secret', 'sq0csp-', wordDash, 43),
  f('shippo-token', 'shippo_live_', lowerHex, 40),
  f('shippo-token', 'shippo_test_', lowerHex, 40),
  f('stripe-webhook-secret', 'whsec_', alnum, 32, 64),
  f('slack-config-token', 'xoxe.xoxp-1-', wordDash, 160, 180),
  f('slack-refresh-token', 'xoxe-1-', wordDash, 140, 150),
  f('notion-token', 'ntn_', alnum, 40, 50),
  f('twilio-api-key', 'SK', lowerHex, 32),
  f('mailgun-key', 'key-', lowerHex, 32),
  f('sendinblue-key', 'xkeysib-', (c) => lowerHex(c) || c === 45, 64 + 1 + 16),
];

/** Formats by their first two characters, and the pairs the scanner checks. */
const BY_PAIR = new Map<number, Format[]>();
for (const fm of FORMATS) {
  const key = (fm.prefix.charCodeAt(0) << 7) | fm.prefix.charCodeAt(1);
  const list = BY_PAIR.get(key);
  if (list === undefined) BY_PAIR.set(key, [fm]);
  else list.push(fm);
}
BY_PAIR.set((83 << 7) | 71, []); // "SG": SendGrid, read below

/** 1 at (c0 << 7) | c1 for the two-letter starts of the formats here. */
export const FORMAT_PAIRS: Uint8Array = (() => {
  const t = new Uint8Array(128 * 128);
  for (const key of BY_PAIR.keys()) t[key] = 1;
  return t;
})();

function bodyEnd(s: string, j: number, ok: CharTest, min: number, max: number): number {
  const stop = Math.min(s.length, j + max + 1);
  let e = j;
  while (e < stop && ok(s.charCodeAt(e))) e++;
  if (e - j < min || e - j > max || isWordCode(codeAt(s, e))) return -1;
  return e;
}

function found(hits: Hits, start: number, end: number): number {
  hits.add(K_SECRET_FORMAT, start, end);
  return end;
}

/** `i` is at a letter or digit starting a token. Returns the end of a known credential format there, or -1. */
export function detectSecretFormat(s: string, i: number, hits: Hits): number {
  const key = (s.charCodeAt(i) << 7) | (codeAt(s, i + 1) & 127);
  const list = BY_PAIR.get(key);
  if (list === undefined) return -1;
  if (key === ((83 << 7) | 71) && s.charCodeAt(i + 2) === 46) {
    // SendGrid: SG.<22>.<43>
    const a = bodyEnd(s, i + 3, wordDash, 22, 22);
    if (a === i + 25 && s.charCodeAt(a) === 46) {
      const b = bodyEnd(s, i + 26, wordDash, 43, 43);
      if (b >= 0) return found(hits, i, b);
    }
    return -1;
  }
  for (const fm of list) {
    if (!s.startsWith(fm.prefix, i)) continue;
    const e = bodyEnd(s, i + fm.prefix.length, fm.body, fm.min, fm.max);
    if (e >= 0 && notPlaceholder(s, i + fm.prefix.length, e)) return found(hits, i, e);
  }
  return -1;
}

/** Whether the body has some variety: "hf_xxxxxxxx..." and "glpat-0000..." are examples, not keys. */
function notPlaceholder(s: string, start: number, end: number): boolean {
  const first = s.charCodeAt(start);
  for (let k = start + 1; k < end; k++) if (s.charCodeAt(k) !== first) return true;
  return false;
}

function azureChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 95 || c === 126 || c === 46;
}

/** `k` is at a '~'. An Azure AD client secret has "Q~" after three characters and a digit, then 31-34 more. */
export function detectAzureClientSecret(s: string, k: number, hits: Hits): number {
  const start = k - 5;
  if (start < 0 || s.charCodeAt(k - 1) !== 81 || !isDigit(s.charCodeAt(k - 2))) return -1;
  for (let j = start; j < k - 2; j++) if (!azureChar(s.charCodeAt(j))) return -1;
  if (start > 0 && (azureChar(s.charCodeAt(start - 1)) || s.charCodeAt(start - 1) === 45)) return -1;
  let e = k + 1;
  while (e < s.length && e - k <= 35 && (azureChar(s.charCodeAt(e)) || s.charCodeAt(e) === 45)) e++;
  if (e - k - 1 < 31 || e - k - 1 > 34 || azureChar(codeAt(s, e))) return -1;
  hits.add(K_SECRET_FORMAT, start, e);
  return e;
}
