// Pseudonymous tokens: [TYPE_xxxxxxxx], the first 8 hex digits of HMAC-SHA256(key, TYPE ":"
// normalized value). The same real-world value written two ways must get the same token, so
// values are normalized per type first:
//
//   EMAIL        lower-cased
//   PHONE        digits only, a "(0)" trunk dropped and a leading "00" read as "+":
//                "+44 (0)20 7946 0958", "+44 20 7946 0958" and "0044 20 7946 0958" agree;
//                a national form ("020 7946 0958") differs, the country being unknown
//   CREDIT_CARD  digits only
//   SSN          digits only
//   IBAN         upper-case, spaces and dashes removed
//   IP_ADDRESS   canonical form: IPv4 as is, IPv6 compressed and lower-cased (RFC 5952)
//   PERSON       lower-case, without diacritics, one space between words: "Jane  DOE",
//                "jane doe" and "Jäne Doe" agree (a subject is searched as people write it)
//   ADDRESS      lower-case, one space between words
//   DATE_OF_BIRTH  as is, trimmed
//   NATIONAL_ID, PASSPORT, VAT_ID  upper-case, spaces, dots, dashes and slashes removed
//   SECRET       as is
//   FIELD        strings as is, other JSON values as JSON text
//   custom       as is
//
// The key lives in a KeyObject held privately: it never appears in inspection, errors or logs.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

export function normalizeValue(type: string, value: string): string {
  switch (type) {
    case 'EMAIL':
      return value.toLowerCase();
    case 'PHONE': {
      const digits = value.replace(/\(0\)/gu, '').replace(/\D/gu, '');
      return value.trimStart().startsWith('+') ? digits : digits.startsWith('00') ? digits.slice(2) : digits;
    }
    case 'CREDIT_CARD':
    case 'SSN':
      return value.replace(/\D/gu, '');
    case 'IBAN':
      return value.replace(/[\s-]/gu, '').toUpperCase();
    case 'IP_ADDRESS':
      return canonicalIp(value);
    case 'PERSON':
      return foldName(value);
    case 'ADDRESS':
      return value.toLowerCase().replace(/\s+/gu, ' ').trim();
    case 'DATE_OF_BIRTH':
      return value.trim();
    case 'NATIONAL_ID':
    case 'PASSPORT':
    case 'VAT_ID':
      return value.replace(/[\s./-]/gu, '').toUpperCase();
    default:
      return value;
  }
}

const FOLD: Readonly<Record<string, string>> = { ß: 'ss', ø: 'o', æ: 'ae', œ: 'oe', đ: 'd', ł: 'l', þ: 'th', ð: 'd' };

/** "Jäne  DOE" -> "jane doe": case, diacritics and spacing do not make another person. */
export function foldName(value: string): string {
  return value
    .toLowerCase()
    .replace(/[ßøæœđłþð]/gu, (c) => FOLD[c]!)
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[\s,]+/gu, ' ')
    .trim();
}

function canonicalIp(value: string): string {
  if (!value.includes(':')) return value;
  try {
    // The WHATWG URL parser serialises IPv6 hosts in the RFC 5952 canonical form.
    return new URL(`http://[${value}]/`).hostname.slice(1, -1);
  } catch {
    return value.toLowerCase();
  }
}

const MAX_CACHE = 4096;

export class Pseudonymizer {
  readonly #key: KeyObject;
  // Tokens of recently seen values: HMAC is the cost of pseudonymizing, and values repeat.
  readonly #cache = new Map<string, string>();

  constructor(key: Uint8Array) {
    if (key.length === 0) throw new Error('the pseudonymization key is empty');
    this.#key = createSecretKey(key);
  }

  token(type: string, value: string): string {
    // Values repeat (the same customer in every record): look the text up as written first,
    // and normalize and HMAC only what has not been seen.
    const raw = `${type}\u0000${value}`;
    let token = this.#cache.get(raw);
    if (token !== undefined) return token;
    const input = `${type}:${normalizeValue(type, value)}`;
    token = this.#cache.get(input);
    if (token === undefined) {
      const mac = createHmac('sha256', this.#key).update(input, 'utf8').digest('hex');
      token = `[${type}_${mac.slice(0, 8)}]`;
    }
    if (this.#cache.size >= MAX_CACHE) this.#cache.clear();
    this.#cache.set(input, token);
    this.#cache.set(raw, token);
    return token;
  }
}
