// Shipping with the real exporter to a local ingestion endpoint that answers as each scenario
// needs. "Exactly once" below means: every record written was acknowledged once, none missing
// and none duplicated; the one case where at-least-once may duplicate (a batch whose answer was
// lost) is tested to duplicate that batch and nothing else.
import { expect } from 'chai';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditProperties } from '../../sidecar/audit/envelope.ts';
import { openAuditLog, type AuditLog, type AuditLogOptions } from '../../sidecar/audit/log.ts';
import type { AuditRecord } from '../../sidecar/audit/record.ts';
import { startShipper, type Shipper, type ShipperOptions } from '../../sidecar/audit/shipper.ts';
import { verifyAuditDir } from '../../sidecar/audit/verify.ts';
import { createMetrics, type SidecarMetrics } from '../../sidecar/admin/metrics.ts';
import { memoryLogger } from '../support/log.ts';
import { IngestionServer, type TrackRequest } from './support/ingestion.ts';
import { allFiles, CANARY, cleanupDirs, entryWithCanary, IKEY, IKEY_ROTATED, leaks, maskedEntry, RAW_FORMS, tempDir, waitFor, writeConnectionString } from './support/helpers.ts';

interface Rig {
  server: IngestionServer;
  dir: string;
  connectionStringFile: string;
  metrics: SidecarMetrics;
  log: AuditLog;
  records: AuditRecord[];
  logLines: string[];
  ship(extra?: Partial<ShipperOptions>): Shipper;
  append(n: number, make?: (i: number) => ReturnType<typeof maskedEntry>): Promise<void>;
  /** closes the audit log and opens it again, as a restarted sidecar would */
  reopen(): Promise<void>;
}

const rigs: { server: IngestionServer; shippers: Shipper[]; logs: AuditLog[] }[] = [];

async function rig(logOptions: Partial<AuditLogOptions> = {}): Promise<Rig> {
  const server = await IngestionServer.start();
  const dir = await tempDir();
  const connectionStringFile = await writeConnectionString(await tempDir('mrp-secrets-'));
  const metrics = createMetrics({ defaultMetrics: false });
  const { logger, lines: logLines } = memoryLogger();
  const r = { server, shippers: [] as Shipper[], logs: [] as AuditLog[] };
  rigs.push(r);
  const open = async (): Promise<AuditLog> => {
    const log = await openAuditLog({ dir, metrics, retention: { holdUnshipped: true }, ...logOptions });
    r.logs.push(log);
    return log;
  };
  const self: Rig = {
    server,
    dir,
    connectionStringFile,
    metrics,
    log: await open(),
    records: [],
    logLines,
    ship(extra = {}) {
      const s = startShipper({
        log: self.log,
        connectionStringFile,
        exporterOptions: { host: server.url, allowInsecureConnection: true },
        backoff: { initialMs: 20, maxMs: 160 },
        pollIntervalMs: 20,
        requestTimeoutMs: 3000,
        metrics,
        logger,
        ...extra,
      });
      r.shippers.push(s);
      return s;
    },
    async append(n, make = maskedEntry) {
      const base = self.records.length;
      for (let i = 0; i < n; i++) self.records.push(await self.log.append(make(base + i)));
    },
    async reopen() {
      await self.log.close();
      self.log = await open();
    },
  };
  return self;
}

/** Seqs the endpoint acknowledged, with how often. */
function counts(server: IngestionServer): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of server.acceptedSeqs()) m.set(s, (m.get(s) ?? 0) + 1);
  return m;
}

function expectExactlyOnce(r: Rig, except: readonly number[] = []): void {
  const c = counts(r.server);
  const want = r.records.map((x) => x.seq).filter((s) => !except.includes(s));
  const missing = want.filter((s) => !c.has(s));
  const twice = [...c].filter(([, n]) => n > 1).map(([s]) => s);
  expect({ missing, twice, extra: [...c.keys()].filter((s) => !want.includes(s)) }).to.deep.equal({ missing: [], twice: [], extra: [] });
  // And what arrived is what was written, field for field.
  const byHash = new Map(r.server.accepted.map((e) => [e.data.baseData.properties.hash, e.data.baseData.properties]));
  for (const rec of r.records.filter((x) => !except.includes(x.seq))) expect(byHash.get(rec.hash)).to.deep.equal(auditProperties(rec));
}

const failures = async (m: SidecarMetrics, reason: string): Promise<number> => (await m.auditShipFailures.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
const seqsOf = (req: TrackRequest): number[] => req.envelopes.map((e) => Number(e.data.baseData.properties.seq));

describe('audit shipping to Azure Monitor (real exporter, local ingestion endpoint)', function () {
  this.timeout(20_000);
  afterEach(async () => {
    for (const r of rigs.splice(0)) {
      for (const s of r.shippers) await s.stop();
      for (const l of r.logs) await l.close();
      await r.server.close();
    }
  });
  after(cleanupDirs);

  it("speaks the exporter's wire format: customEvents with every field a property; no raw value in any body or file", async () => {
    const r = await rig();
    await r.append(20, (i) => (i % 2 ? entryWithCanary(i) : maskedEntry(i)));
    const s = r.ship();
    await waitFor('all acknowledged', () => s.status().ackedSeq === 20);
    for (const req of r.server.requests) {
      expect(req).to.include({ method: 'POST', url: '/v2.1/track', contentType: 'application/json' });
      for (const e of req.envelopes) {
        expect(e).to.include({ name: 'Microsoft.ApplicationInsights.Event', iKey: IKEY });
        expect(e.data.baseType).to.equal('EventData');
        expect(e.data.baseData.name).to.equal('MCPResidencyAudit');
        expect(e.tags['ai.cloud.role']).to.equal('mcp-residency');
      }
    }
    const first = r.server.accepted[0]!;
    expect(first.time).to.equal(r.records[0]!.time);
    expect(first.data.baseData.properties).to.include({ seq: '1', kind: 'mcp', decision: 'deny', 'principal.sub': 'agent-7', 'policy.name': 'eu-crm', hash: r.records[0]!.hash });
    expectExactlyOnce(r);
    const bodies = r.server.requests.map((q) => ({ path: `request ${q.at}`, text: q.raw }));
    expect(leaks(bodies, [CANARY, ...RAW_FORMS])).to.deep.equal([]);
    expect(leaks(await allFiles(r.dir), [CANARY, ...RAW_FORMS])).to.deep.equal([]);
    // The masked tokens did travel.
    expect(bodies.map((b) => b.text).join('')).to.match(/\[CREDIT_CARD_[0-9a-f]{8}\]/u);
    expect(s.backlog()).to.equal(0);
    expect((await r.metrics.auditBacklog.get()).values[0]!.value).to.equal(0);
  });

  it('ships refusal records like every other, with the client address, the count and the claimed identity', async () => {
    const r = await rig();
    const refusal = (i: number): ReturnType<typeof maskedEntry> => ({
      kind: 'mcp',
      principal: { sub: 'unauthenticated' },
      decision: 'deny',
      reason: 'the token has expired',
      status: 401,
      requestId: i,
      client: '203.0.113.9',
      count: 17,
      claimed: { sub: 'mallory', issuer: 'https://login.example.com/tenant/v2.0' },
      masked: {},
    });
    await r.append(3, refusal);
    const s = r.ship();
    await waitFor('all acknowledged', () => s.status().ackedSeq === 3);
    expect(r.server.accepted[0]!.data.baseData.properties).to.include({
      decision: 'deny',
      reason: 'the token has expired',
      status: '401',
      client: '203.0.113.9',
      count: '17',
      'claimed.sub': 'mallory',
      'principal.sub': 'unauthenticated',
    });
    expectExactlyOnce(r);
  });

  it('endpoint down, then up: records wait on disk, backlog and failures are reported, nothing is lost or sent twice', async () => {
    const r = await rig();
    await r.server.down();
    await r.append(30);
    const s = r.ship();
    await waitFor('several failed attempts', async () => (await failures(r.metrics, 'network')) >= 3);
    expect(s.backlog()).to.equal(30);
    expect((await r.metrics.auditBacklog.get()).values[0]!.value).to.equal(30);
    expect(s.health().ok).to.equal(true);
    expect(s.health().reason).to.match(/shipping to Azure Monitor failing since .* \(network: .*\); 30 records wait on disk/u);
    expect(s.status().lastFailure?.reason).to.equal('network');
    await r.append(10);
    await r.server.up();
    await waitFor('all acknowledged', () => s.status().ackedSeq === 40);
    expectExactlyOnce(r);
    expect(s.backlog()).to.equal(0);
    expect(s.health()).to.deep.equal({ ok: true });
    expect(r.logLines.join('')).to.include('audit shipping recovered');
  });

  it('429 with Retry-After: waits as long as told, then delivers', async () => {
    const r = await rig();
    r.server.respond = (_e, n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 });
    await r.append(5);
    const s = r.ship();
    await waitFor('all acknowledged', () => s.status().ackedSeq === 5);
    const [first, second] = r.server.requests;
    expect(second!.at - first!.at).to.be.at.least(950);
    expectExactlyOnce(r);
    expect(await failures(r.metrics, 'throttled')).to.equal(1);
  });

  it('503 several times: backs off (growing waits), then delivers', async () => {
    const r = await rig();
    r.server.respond = (_e, n) => (n < 4 ? { status: 503 } : { status: 200 });
    await r.append(12);
    const s = r.ship();
    await waitFor('all acknowledged', () => s.status().ackedSeq === 12);
    const at = r.server.requests.map((q) => q.at);
    expect(at).to.have.length(5);
    // 20, 40, 80, 160 ms (±20 % jitter).
    expect(at[4]! - at[3]!).to.be.greaterThan(at[1]! - at[0]!);
    expectExactlyOnce(r);
    expect(await failures(r.metrics, 'unavailable')).to.equal(4);
  });

  it('206 partial success: re-sends only the failed items', async () => {
    const r = await rig();
    r.server.respond = (_e, n) =>
      n === 0
        ? { status: 206, errors: [{ index: 1, statusCode: 500 }, { index: 4, statusCode: 503 }, { index: 7, statusCode: 429 }] }
        : { status: 200 };
    await r.append(10);
    const s = r.ship({ batchMaxRecords: 10 });
    await waitFor('all acknowledged', () => s.status().ackedSeq === 10);
    expect(r.server.requests.map(seqsOf)).to.deep.equal([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2, 5, 8]]);
    expectExactlyOnce(r);
    expect(await failures(r.metrics, 'partial')).to.equal(1);
  });

  it('206, then a restart before the retry: only the failed items are sent again', async () => {
    const r = await rig();
    r.server.respond = (_e, n) => (n === 0 ? { status: 206, errors: [{ index: 1, statusCode: 500 }, { index: 3, statusCode: 500 }] } : { status: 200 });
    await r.append(6);
    let s = r.ship({ batchMaxRecords: 6, backoff: { initialMs: 5000 } });
    await waitFor('the partial answer', () => s.status().ackedSeq === 1);
    await s.stop();
    expect(JSON.parse(await readFile(join(r.dir, 'shipper-cursor.json'), 'utf8'))).to.include({ ackedSeq: 1 }).and.deep.include({ beyond: [3, 5, 6] });
    s = r.ship({ batchMaxRecords: 6 });
    await waitFor('all acknowledged', () => s.status().ackedSeq === 6);
    expect(r.server.requests.map(seqsOf)).to.deep.equal([[1, 2, 3, 4, 5, 6], [2, 4]]);
    expectExactlyOnce(r);
  });

  it('206 with an item refused for good (400): logged and counted, not re-sent, shipping moves on', async () => {
    const r = await rig();
    r.server.respond = (_e, n) => (n === 0 ? { status: 206, errors: [{ index: 2, statusCode: 400, message: 'Field name is invalid' }] } : { status: 200 });
    await r.append(10);
    const s = r.ship({ batchMaxRecords: 10 });
    await waitFor('all done', () => s.status().ackedSeq === 10);
    await r.append(2);
    await waitFor('the next ones', () => s.status().ackedSeq === 12);
    expectExactlyOnce(r, [3]);
    expect(s.status().rejected).to.equal(1);
    expect(await failures(r.metrics, 'rejected')).to.equal(1);
    const line = r.logLines.find((l) => l.includes('refused an audit record for good'))!;
    expect(JSON.parse(line)).to.include({ level: 'error', seq: 3, status: 400, message: 'Field name is invalid', hash: r.records[2]!.hash });
  });

  it('a whole batch refused without per-item errors: halves it until the one bad record is isolated', async () => {
    const r = await rig();
    r.server.respond = (envelopes) => (envelopes.some((e) => e.data.baseData.properties.seq === '5') ? { status: 400 } : { status: 200 });
    await r.append(8);
    const s = r.ship({ batchMaxRecords: 8 });
    await waitFor('all done', () => s.status().ackedSeq === 8);
    expectExactlyOnce(r, [5]);
    expect(s.status().rejected).to.equal(1);
    expect(r.server.requests.map(seqsOf).at(-1)).to.not.include(5);
  });

  it('a sidecar restart in the middle (graceful stop): acknowledged records are not sent again, the rest all arrive', async () => {
    const r = await rig();
    r.server.respond = () => ({ status: 200, delayMs: 25 });
    await r.append(30);
    let s = r.ship({ batchMaxRecords: 5 });
    await waitFor('some acknowledged', () => s.status().ackedSeq >= 10);
    await s.stop();
    const acked = s.status().ackedSeq;
    expect(acked).to.be.below(30);
    expect(JSON.parse(await readFile(join(r.dir, 'shipper-cursor.json'), 'utf8'))).to.include({ ackedSeq: acked });
    await r.reopen();
    await r.append(10);
    s = r.ship({ batchMaxRecords: 5 });
    await waitFor('all acknowledged', () => s.status().ackedSeq === 40);
    expectExactlyOnce(r);
  });

  it('stopped while the endpoint holds a request it accepted: that batch, and only it, is sent twice', async () => {
    const r = await rig();
    r.server.respond = (_e, n) => (n === 1 ? { status: 200, delayMs: 5000 } : { status: 200 });
    await r.append(15);
    let s = r.ship({ batchMaxRecords: 5, stopGraceMs: 50 });
    await waitFor('the second request to arrive', () => r.server.requests.length === 2);
    await s.stop();
    const inFlight = seqsOf(r.server.requests[1]!);
    expect(s.status().ackedSeq).to.equal(5);
    s = r.ship({ batchMaxRecords: 5 });
    await waitFor('all acknowledged', () => s.status().ackedSeq === 15);
    const twice = [...counts(r.server)].filter(([, n]) => n > 1).map(([seq]) => seq);
    expect(twice).to.deep.equal(inFlight);
    expect([...counts(r.server).keys()].sort((a, b) => a - b)).to.deep.equal(r.records.map((x) => x.seq));
  });

  it('picks up a rotated connection string for the next batch; a missing one is reported and waited out', async () => {
    const r = await rig();
    await r.append(3);
    const s = r.ship();
    await waitFor('first acknowledged', () => s.status().ackedSeq === 3);
    await writeConnectionString(join(r.connectionStringFile, '..', '..'), IKEY_ROTATED);
    await r.append(3);
    await waitFor('second acknowledged', () => s.status().ackedSeq === 6);
    expect(r.server.accepted.map((e) => e.iKey)).to.deep.equal([IKEY, IKEY, IKEY, IKEY_ROTATED, IKEY_ROTATED, IKEY_ROTATED]);
    await rm(r.connectionStringFile);
    await r.append(2);
    await waitFor('a config failure', async () => (await failures(r.metrics, 'config')) > 0);
    expect(s.status().lastFailure?.detail).to.match(/cannot read the connection string file .*ENOENT/u);
    await writeFile(r.connectionStringFile, 'InstrumentationKey=not-a-guid');
    await waitFor('the invalid one reported', () => /not usable/u.test(s.status().lastFailure?.detail ?? ''));
    expect(JSON.stringify(r.logLines)).to.not.include('not-a-guid');
    await writeConnectionString(join(r.connectionStringFile, '..', '..'), IKEY);
    await waitFor('third acknowledged', () => s.status().ackedSeq === 8);
    expectExactlyOnce(r);
  });

  it('ships around corrupted and missing segments, says so, and verify names the damage', async () => {
    const r = await rig({ segmentMaxBytes: 4000 });
    await r.append(20);
    const files = (await allFiles(r.dir)).filter((f) => f.path.endsWith('.jsonl')).sort((a, b) => a.path.localeCompare(b.path));
    expect(files.length).to.be.at.least(3);
    // A garbage line in the first segment, and the second segment gone.
    const firstLines = files[0]!.text.split('\n');
    const garbled = JSON.parse(firstLines[1]!).seq as number;
    firstLines[1] = `#${firstLines[1]!.slice(1)}`;
    await writeFile(files[0]!.path, firstLines.join('\n'));
    const removed = files[1]!.text.split('\n').filter(Boolean).map((l) => JSON.parse(l).seq as number);
    await rm(files[1]!.path);
    await r.reopen();
    const s = r.ship();
    await waitFor('all acknowledged', () => s.status().ackedSeq === 20);
    expectExactlyOnce(r, [garbled, ...removed]);
    // Two holes in the seq order: the unreadable line, the missing segment.
    expect(await failures(r.metrics, 'gap')).to.equal(2);
    expect(r.logLines.join('')).to.include('skipped an unreadable line');
    const v = await verifyAuditDir(r.dir);
    expect(v.ok).to.equal(false);
    expect(v.problem).to.include({ kind: 'unparsable', line: 2 });
  });
});
