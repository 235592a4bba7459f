// SECRET: credentials in syntaxes that are not "name = value": an XML element named for a
// credential (<password>…</password>), a call that sets one by name (setProperty("db.password",
// "…"), define('API_KEY', '…'), os.Setenv("TOKEN", "…")), curl's -u user:password, and URLs that
// are credentials whole: Slack, Microsoft Teams and Discord incoming webhooks.
import { codeAt, isAsciiAlnum, isSpaceCode } from '../chars.ts';
import { K_ASSIGNMENT, K_CREDENTIAL_URL, type Hits } from '../hits.ts';
import { isPlaceholderValue, isSecretName } from './secret-assignment.ts';

function isNameChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 95 || c === 45 || c === 46 || c === 58;
}

/**
 * `k` is at a '>'. When it closes an opening tag whose name is a credential name and the element
 * holds text ("<ns:ApiKey>abc</ns:ApiKey>"), adds the text.
 */
export function detectXmlElement(s: string, k: number, hits: Hits): number {
  let a = k;
  // Attributes: skip back to the tag's '<' (an element name cannot hold '"' or '=').
  while (a > 0 && k - a < 160 && s.charCodeAt(a - 1) !== 60 && s.charCodeAt(a - 1) !== 62) a--;
  if (a === 0 || s.charCodeAt(a - 1) !== 60) return -1;
  let ne = a;
  while (ne < k && isNameChar(s.charCodeAt(ne))) ne++;
  if (ne === a || (ne < k && !isSpaceCode(s.charCodeAt(ne)))) return -1;
  let name = s.slice(a, ne);
  const colon = name.lastIndexOf(':');
  if (colon >= 0) name = name.slice(colon + 1);
  if (!isSecretName(name)) return -1;
  let vs = k + 1;
  while (vs < s.length && vs - k < 64 && isSpaceCode(s.charCodeAt(vs))) vs++;
  let e: number;
  let ve: number;
  if (s.startsWith('<![CDATA[', vs)) {
    // <![CDATA[secret]]>
    vs += 9;
    e = s.indexOf(']]>', vs);
    if (e < 0 || e - vs > 4096) return -1;
    ve = e + 3;
  } else {
    const stop = Math.min(s.length, vs + 4096);
    ve = vs;
    while (ve < stop && s.charCodeAt(ve) !== 60) ve++;
    if (ve === stop) return -1;
    e = ve;
    while (e > vs && isSpaceCode(s.charCodeAt(e - 1))) e--;
  }
  while (ve < s.length && isSpaceCode(s.charCodeAt(ve))) ve++;
  if (s.charCodeAt(ve) !== 60 || s.charCodeAt(ve + 1) !== 47) return -1;
  if (isPlaceholderValue(s, vs, e)) return -1;
  hits.add(K_ASSIGNMENT, vs, e);
  return ve;
}

/** The quoted string at `q` (a ' or " there): [start, end) of its content, or [-1, -1]. */
function quoted(s: string, q: number): [number, number] {
  const quote = codeAt(s, q);
  if (quote !== 34 && quote !== 39) return [-1, -1];
  const stop = Math.min(s.length, q + 2048);
  for (let e = q + 1; e < stop; e++) {
    const c = s.charCodeAt(e);
    if (c === 92) e++;
    else if (c === quote) return [q + 1, e];
    else if (c === 10) break;
  }
  return [-1, -1];
}

/**
 * `k` is at a '(' followed by a quote. When the first argument names a credential and the second
 * is a string ("setProperty(\"db.password\", \"s3cret\")"), adds the second.
 */
export function detectCallArguments(s: string, k: number, hits: Hits): number {
  const [ns, ne] = quoted(s, k + 1);
  if (ne < 0 || ne - ns > 64 || !isSecretName(s.slice(ns, ne))) return -1;
  let j = ne + 1;
  while (s.charCodeAt(j) === 32) j++;
  if (s.charCodeAt(j) !== 44) return -1;
  j++;
  while (s.charCodeAt(j) === 32) j++;
  const [vs, ve] = quoted(s, j);
  if (ve < 0 || isPlaceholderValue(s, vs, ve)) return -1;
  hits.add(K_ASSIGNMENT, vs, ve);
  return ve;
}

/** `k` is at the '-' of "-u" or "--user" in a curl command line. Adds the password of user:password. */
export function detectCurlUser(s: string, k: number, hits: Hits): number {
  let j = k + 1;
  if (s.startsWith('-user', j)) j += 5;
  else if (s.charCodeAt(j) === 117) j++;
  else return -1;
  const sep = s.charCodeAt(j);
  if (sep !== 32 && sep !== 61) return -1;
  // The command must be curl's: "curl" earlier on the same line.
  const line = s.lastIndexOf('\n', k);
  const cmd = s.lastIndexOf('curl', k);
  if (cmd < 0 || cmd < line || k - cmd > 400) return -1;
  j++;
  let quote = s.charCodeAt(j);
  if (quote === 34 || quote === 39) j++;
  else quote = 0;
  const colon = s.indexOf(':', j);
  if (colon < 0 || colon - j > 128) return -1;
  for (let x = j; x < colon; x++) if (isSpaceCode(s.charCodeAt(x)) || s.charCodeAt(x) === quote) return -1;
  let e = colon + 1;
  while (e < s.length && e - colon < 512 && !isSpaceCode(s.charCodeAt(e)) && s.charCodeAt(e) !== quote) e++;
  if (isPlaceholderValue(s, colon + 1, e)) return -1;
  hits.add(K_ASSIGNMENT, colon + 1, e);
  return e;
}

const WEBHOOK_HOSTS: readonly (readonly [string, string])[] = [
  ['hooks.slack.com', '/services/'],
  ['hooks.slack.com', '/workflows/'],
  ['hooks.slack.com', '/triggers/'],
  ['discord.com', '/api/webhooks/'],
  ['discordapp.com', '/api/webhooks/'],
  ['outlook.office.com', '/webhook/'],
  ['outlook.office365.com', '/webhook/'],
];

function isUrlChar(c: number): boolean {
  return isAsciiAlnum(c) || (c > 32 && c < 127 && c !== 34 && c !== 39 && c !== 60 && c !== 62 && c !== 96 && c !== 92 && c !== 41 && c !== 93 && c !== 125);
}

/**
 * `k` is at the ':' of "https://". When the URL is an incoming webhook (Slack, Discord, Teams on
 * outlook.office.com or <tenant>.webhook.office.com), adds the whole URL: its path is the key.
 */
export function detectWebhookUrl(s: string, k: number, hits: Hits): number {
  const start = s.startsWith('https', k - 5) ? k - 5 : s.startsWith('http', k - 4) ? k - 4 : -1;
  if (start < 0 || isAsciiAlnum(codeAt(s, start - 1))) return -1;
  const h = k + 3;
  let he = h;
  while (he < s.length && he - h < 256 && (isAsciiAlnum(s.charCodeAt(he)) || s.charCodeAt(he) === 46 || s.charCodeAt(he) === 45)) he++;
  const host = s.slice(h, he).toLowerCase();
  let ok = host.endsWith('.webhook.office.com') && s.startsWith('/webhookb2/', he);
  for (const [name, path] of WEBHOOK_HOSTS) if (!ok && (host === name || host === `www.${name}`) && s.startsWith(path, he)) ok = true;
  if (!ok) return -1;
  let e = he;
  while (e < s.length && e - he < 1024 && isUrlChar(s.charCodeAt(e))) e++;
  while (e > he && (s.charCodeAt(e - 1) === 46 || s.charCodeAt(e - 1) === 44)) e--;
  // The path must carry more than the fixed part: "https://hooks.slack.com/services/" alone is documentation.
  if (e - he < 24) return -1;
  hits.add(K_CREDENTIAL_URL, start, e);
  return e;
}
