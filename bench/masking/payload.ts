// Deterministic benchmark payloads: MCP tools/call results as a CRM-style server returns them,
// with personal data at a realistic density (every record has a name, e-mail and phone, most
// an address, some an IBAN or a card, notes mention more), and PII-free prose of the same
// shapes (ids, dates, amounts, versions) for the clean-path figure.
import { groups4, ibanFor, luhnCheckDigit, mulberry32 } from '../../test/fixtures/masking/synthetic.ts';

type Rand = () => number;

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const digits = (r: Rand, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');

const FIRST = ['Anna', 'Lukas', 'Marie', 'João', 'Sofia', 'Liam', 'Emma', 'Noah', 'Chloé', 'Mateo', 'Freya', 'Oskar', 'Ines', 'Pieter', 'Aoife'];
const LAST = ['Müller', 'Schmidt', 'Dubois', 'Rossi', 'García', 'Smith', 'Jansen', 'Kowalski', 'Nielsen', 'Silva', 'Murphy', 'Novak', 'Lindqvist'];
const DOMAINS = ['example.com', 'mail.example.org', 'contoso.eu', 'fabrikam.de', 'northwind.fr', 'acme.co.uk'];
const CITIES = ['Berlin', 'Paris', 'Madrid', 'Dublin', 'Amsterdam', 'Lisbon', 'Warsaw', 'Vienna', 'Milan', 'Stockholm'];
const STREETS = ['Hauptstraße', 'Rue de la Paix', 'Calle Mayor', 'High Street', 'Keizersgracht', 'Via Roma'];
const STATUSES = ['active', 'pending', 'churned', 'trial', 'vip'];
const PRODUCTS = ['Pro plan', 'Team plan', 'Support add-on', 'Storage 1 TB', 'Onboarding'];

function luhnComplete(prefix: string, len: number, r: Rand): string {
  const body = prefix + digits(r, len - prefix.length - 1);
  return body + luhnCheckDigit(body);
}

// Countries whose account numbers (BBAN) are all digits, with their lengths: an IBAN of the wrong
// length for its country is no IBAN, and the masker rightly leaves it.
const IBAN_COUNTRIES: readonly (readonly [string, number])[] = [['DE', 18], ['FR', 23], ['ES', 20], ['BE', 12]];

function iban(r: Rand): string {
  const [cc, bbanLen] = pick(r, IBAN_COUNTRIES);
  return groups4(ibanFor(cc, digits(r, bbanLen)));
}

function phone(r: Rand): string {
  return pick(r, [
    () => `+49 30 ${digits(r, 8)}`,
    () => `+44 20 7${digits(r, 3)} ${digits(r, 4)}`,
    () => `+33 6 ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)} ${digits(r, 2)}`,
    () => `(415) 555-${digits(r, 4)}`,
    () => `+34 612 ${digits(r, 3)} ${digits(r, 3)}`,
    () => `0171 ${digits(r, 7)}`,
  ])();
}

function isoDate(r: Rand): string {
  const d = new Date(Date.UTC(2023, 0, 1) + Math.floor(r() * 700 * 86400000));
  return d.toISOString();
}

function note(r: Rand, name: string, email: string): string {
  return pick(r, [
    () => `Called on ${isoDate(r).slice(0, 10)} about invoice INV-2024-${digits(r, 5)}; prefers e-mail (${email}).`,
    () => `Ticket #${digits(r, 6)}: ${name} asked to update the billing address. Amount due EUR ${digits(r, 3)}.${digits(r, 2)}.`,
    () => `Renewal of ${pick(r, PRODUCTS)} v${Math.floor(r() * 5)}.${Math.floor(r() * 20)}.${Math.floor(r() * 10)} scheduled; contact via ${phone(r)}.`,
    () => `Login from ${Math.floor(r() * 223) + 1}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 254) + 1} flagged, session ${digits(r, 8)}-${digits(r, 4)} closed.`,
    () => `No changes. Satisfaction score ${Math.floor(r() * 10)}/10, NPS survey sent ${isoDate(r).slice(0, 10)}.`,
  ])();
}

function customer(r: Rand, i: number): Record<string, unknown> {
  const first = pick(r, FIRST);
  const last = pick(r, LAST);
  const email = `${first}.${last}${Math.floor(r() * 100)}@${pick(r, DOMAINS)}`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/gu, '').replace(/ü/gu, 'ue');
  const rec: Record<string, unknown> = {
    id: `cus_${digits(r, 10)}`,
    name: `${first} ${last}`,
    email,
    phone: phone(r),
    status: pick(r, STATUSES),
    createdAt: isoDate(r),
    address: { street: `${pick(r, STREETS)} ${Math.floor(r() * 200) + 1}`, city: pick(r, CITIES), postcode: digits(r, 5) },
    orders: Array.from({ length: 1 + Math.floor(r() * 2) }, () => ({
      orderId: `ORD-${digits(r, 4)}-${digits(r, 6)}`,
      product: pick(r, PRODUCTS),
      amount: Math.round(r() * 100000) / 100,
      date: isoDate(r),
    })),
    notes: note(r, `${first} ${last}`, email),
  };
  if (i % 3 === 0) rec.iban = iban(r);
  if (i % 5 === 0) rec.card = groups4(luhnComplete(pick(r, ['4', '51', '37']), 16, r));
  return rec;
}

function cleanRecord(r: Rand): Record<string, unknown> {
  return {
    id: `doc_${digits(r, 10)}`,
    title: `Release notes ${Math.floor(r() * 5)}.${Math.floor(r() * 20)}.${Math.floor(r() * 10)}`,
    updatedAt: isoDate(r),
    status: pick(r, STATUSES),
    metrics: { views: Math.floor(r() * 10000), ratio: Math.round(r() * 1000) / 1000, build: `${digits(r, 8)}` },
    body: pick(r, [
      'The build pipeline now caches dependencies between runs, which cuts the median job time by a third.',
      `Version ${Math.floor(r() * 5)}.${Math.floor(r() * 20)}.${Math.floor(r() * 10)} fixes the race in the scheduler and updates the parser to the 2024-06 grammar.`,
      `Quarterly totals: ${digits(r, 3)} orders, ${digits(r, 2)}.${digits(r, 1)} % growth, average basket EUR ${digits(r, 2)}.${digits(r, 2)}.`,
      `Meeting moved to ${isoDate(r).slice(0, 10)} at 10:30; agenda items 1-4 unchanged, see section 3.2.1 of the plan.`,
      `Checksum ${digits(r, 8)}${'abcdef'[Math.floor(r() * 6)]}${digits(r, 7)} matched; commit ${digits(r, 4)}abc${digits(r, 4)} deployed to staging.`,
    ]),
  };
}

function toolResult(text: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 42, result: { content: [{ type: 'text', text }], isError: false } });
}

/** A tools/call result of about `bytes` bytes whose text is a JSON list of customer records. */
export function piiToolResult(bytes: number, seed = 1): string {
  const r = mulberry32(seed);
  const records: Record<string, unknown>[] = [];
  // Size as it will be inside the outer document: each record escaped once more.
  let size = toolResult(JSON.stringify({ customers: [] })).length;
  while (size < bytes) {
    const rec = customer(r, records.length);
    records.push(rec);
    size += JSON.stringify(JSON.stringify(rec)).length - 1;
  }
  return toolResult(JSON.stringify({ customers: records }));
}

/** The same records as structured content (nested JSON, no JSON-in-string). */
export function piiStructuredResult(bytes: number, seed = 1): string {
  const r = mulberry32(seed);
  const records: Record<string, unknown>[] = [];
  const wrap = (): string => JSON.stringify({ jsonrpc: '2.0', id: 42, result: { structuredContent: { customers: records }, isError: false } });
  while (wrap().length < bytes) records.push(customer(r, records.length));
  return wrap();
}

/** A tools/call result of about `bytes` bytes with no personal data at all. */
export function cleanToolResult(bytes: number, seed = 2): string {
  const r = mulberry32(seed);
  const records: Record<string, unknown>[] = [];
  const wrap = (): string => toolResult(JSON.stringify({ documents: records }));
  while (wrap().length < bytes) records.push(cleanRecord(r));
  return wrap();
}

/** Plain prose of about `bytes` bytes, no personal data. */
export function cleanText(bytes: number, seed = 3): string {
  const r = mulberry32(seed);
  const parts: string[] = [];
  let len = 0;
  while (len < bytes) {
    const s = String(cleanRecord(r).body);
    parts.push(s);
    len += s.length + 1;
  }
  return parts.join('\n');
}
