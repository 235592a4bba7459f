// Shared pieces of the audit tests: temporary directories, masked entries built with the real
// masking engine from raw personal data, and scans proving no raw value reached a file.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_DETECTORS } from '../../../policy/builtin-detectors.ts';
import type { AuditEntry } from '../../../sidecar/audit/record.ts';
import { Masker, MaskReport } from '../../../sidecar/masking/engine.ts';
import { eventually } from '../../support/eventually.ts';

// The exporter's own telemetry about itself must not try to reach Microsoft from tests.
process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = 'true';
process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = 'true';
process.env.APPLICATIONINSIGHTS_SDKSTATS_DISABLED = 'true';

export const IKEY = '11111111-2222-3333-4444-555555555555';
export const IKEY_ROTATED = '99999999-8888-7777-6666-555555555555';

/** Raw values of detected types; none may ever appear in an audit file or a request body. */
export const RAW_VALUES = ['alice.smith@example.com', '+44 20 7946 0958', '4111 1111 1111 1111', 'DE89 3704 0044 0532 0130 00', '123-45-6789'];
/** Other spellings of the same values a careless writer might produce. */
export const RAW_FORMS = [...RAW_VALUES, '4111111111111111', 'DE89370400440532013000', '442079460958', '123456789'];
/** Passed in fields the writer does not own: must be dropped. */
export const CANARY = 'CANARY-7f3a9c';

export const masker = new Masker({ mode: 'pseudonymize', key: Buffer.from('audit-test-key-0123456789abcdef'), detectors: BUILTIN_DETECTORS, custom: [], fields: [] });

const dirs: string[] = [];

export async function tempDir(prefix = 'mrp-audit-'): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export async function cleanupDirs(): Promise<void> {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
}

/** An mcp entry whose payload is the real masker's output for arguments full of personal data. */
export function maskedEntry(i: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  const raw = {
    arguments: { customer: RAW_VALUES[i % RAW_VALUES.length], note: `call ${RAW_VALUES[1]} or pay with ${RAW_VALUES[2]}, IBAN ${RAW_VALUES[3]}`, n: i },
  };
  const report = new MaskReport();
  const payload = masker.maskJson(raw, report);
  return {
    kind: 'mcp',
    principal: { sub: 'agent-7', issuer: 'https://login.example.com/tenant/v2.0', groups: ['agents'] },
    decision: i % 5 === 0 ? 'deny' : 'allow',
    reason: i % 5 === 0 ? 'rule delete_*' : undefined,
    method: 'tools/call',
    tool: `lookup_${i % 3}`,
    policy: { name: 'eu-crm', generation: 3 },
    session: 's-1',
    requestId: i,
    masked: report.countsObject(),
    payload,
    ...extra,
  };
}

/** An entry smuggling values in fields the record does not have (as a buggy caller might). */
export function entryWithCanary(i: number): AuditEntry {
  const e = maskedEntry(i) as AuditEntry & Record<string, unknown>;
  return {
    ...e,
    rawArguments: `${CANARY} ${RAW_VALUES[0]}`,
    principal: { ...e.principal, email: `${CANARY}@example.com` } as AuditEntry['principal'],
    policy: { name: 'eu-crm', secret: CANARY } as AuditEntry['policy'],
  } as AuditEntry;
}

/**
 * Every file under dir, recursively, as text. A file that is gone by the time it is read (the
 * shipper's cursor is written to a temporary file and renamed over the old one) is skipped: its
 * content is in the file it was renamed to.
 */
export async function allFiles(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      out.push(...(await allFiles(p)));
      continue;
    }
    try {
      out.push({ path: p, text: await readFile(p, 'utf8') });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}

/** Texts that contain any of `needles`, with which. */
export function leaks(texts: readonly { path: string; text: string }[], needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const { path, text } of texts) for (const n of needles) if (text.includes(n)) found.push(`${path}: ${n}`);
  return found;
}

export async function writeConnectionString(secretsDir: string, ikey = IKEY): Promise<string> {
  const dir = join(secretsDir, 'appinsights');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'connectionString');
  // The real shape; the exporter is pointed at the local server with `host`, since it rewrites http:// to https://.
  await writeFile(file, `InstrumentationKey=${ikey};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/;LiveEndpoint=https://westeurope.livediagnostics.monitor.azure.com/\n`);
  return file;
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 10): Promise<void> {
  await eventually(what, async () => ((await cond()) ? true : undefined), timeoutMs, everyMs);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
