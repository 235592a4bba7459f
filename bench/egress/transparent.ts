// The transparent egress listener (captured traffic, sidecar/capture/) against direct, in the
// same run and on the same fake provider: an HTTPS client that connects to the listener and
// names the provider in its SNI, exactly as the capture rules would redirect it, versus the
// same client connecting to the provider itself.
//
//   - streamed chat completion on a kept-alive connection: time to first byte and total (the
//     listener splices bytes; the per-connection work is already done),
//   - the same on a new connection each call: TLS handshake through the listener, which also
//     reads the ClientHello, decides, resolves, connects and records the connection,
//   - throughput of one large streamed answer.
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { CaptureHarness } from '../../test/capture/support/listener.ts';
import { eventually } from '../../test/support/eventually.ts';
import { percentile } from '../lib/stats.ts';

export interface TransparentBenchOptions {
  readonly iterations: number;
  readonly warmup: number;
  readonly body: string;
  /** Bytes of the throughput answer, and how many times it is fetched each way. */
  readonly bulkBytes: number;
  readonly bulkRuns: number;
}

interface Sample {
  readonly ttfb: number;
  readonly total: number;
  readonly bytes: number;
}

const NAME = 'api.openai.example';

function call(port: number, agent: https.Agent | false, ca: string, path: string, body: string | undefined, host: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttfb = 0;
    let bytes = 0;
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: NAME,
        ca,
        agent,
        method: body === undefined ? 'GET' : 'POST',
        path,
        headers: { host, ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => {
        res.on('data', (chunk: Buffer) => {
          if (ttfb === 0) ttfb = performance.now() - t0;
          bytes += chunk.length;
        });
        res.on('end', () => resolve({ ttfb, total: performance.now() - t0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sorted = (xs: readonly Sample[], key: 'ttfb' | 'total'): number[] => xs.map((s) => s[key]).sort((a, b) => a - b);

export async function benchTransparent(c: CaptureHarness, o: TransparentBenchOptions): Promise<void> {
  const { h } = c;
  const ca = h.pki.caPem;
  const host = `${NAME}:${h.openai.port}`;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  h.openai.routes.set('/bulk', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    let left = o.bulkBytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });

  const direct = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const captured = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const paths = {
    'direct, kept alive': () => call(h.openai.port, direct, ca, '/v1/chat/completions', o.body, host),
    'transparent, kept alive': () => call(c.port, captured, ca, '/v1/chat/completions', o.body, host),
    'direct, new connection': () => call(h.openai.port, false, ca, '/v1/chat/completions', o.body, host),
    'transparent, new connection': () => call(c.port, false, ca, '/v1/chat/completions', o.body, host),
  } as const;
  type PathName = keyof typeof paths;
  const names = Object.keys(paths) as PathName[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as Sample[]])) as Record<PathName, Sample[]>;
  const recordsBefore = h.audit.entries.length;
  for (let i = 0; i < o.warmup; i++) for (const n of names) await paths[n]();
  for (let i = 0; i < o.iterations; i++) {
    // Interleaved, the order rotating, so drift (GC, other load) hits every path alike.
    for (let k = 0; k < names.length; k++) {
      const n = names[(i + k) % names.length]!;
      samples[n].push(await paths[n]());
    }
  }
  const bulk = { direct: [] as number[], transparent: [] as number[] };
  for (let i = 0; i < o.bulkRuns; i++) {
    for (const [which, port, agent] of [
      ['direct', h.openai.port, direct],
      ['transparent', c.port, captured],
    ] as const) {
      const s = await call(port, agent, ca, '/bulk', undefined, host);
      if (s.bytes !== o.bulkBytes) throw new Error(`${which}: ${s.bytes} of ${o.bulkBytes} bytes arrived`);
      bulk[which].push(s.bytes / 1e6 / ((s.total - s.ttfb) / 1e3));
    }
  }
  direct.destroy();
  captured.destroy();
  // Every captured connection must have been allowed and recorded (when it closed), or the figures mean nothing.
  const expected = o.warmup + o.iterations + 1;
  const records = await eventually('the captured connections to be recorded', () => (h.audit.entries.length - recordsBefore >= expected ? h.audit.entries.slice(recordsBefore) : undefined));
  if (records.some((r) => r.decision !== 'allow' || r.method !== 'TLS')) throw new Error('the transparent listener did not allow the captured connections');

  const ms = (x: number): string => `${x.toFixed(3)} ms`.padStart(11);
  console.log('');
  console.log(`transparent egress listener (captured TLS, SNI read, passed through unread) vs direct, same provider, ${o.iterations} iterations each (after ${o.warmup} warm-up)`);
  console.log(`${'metric'.padEnd(34)}${'direct p50'.padStart(11)}${'transp. p50'.padStart(13)}${'added'.padStart(11)}   ${'direct p99'.padStart(11)}${'transp. p99'.padStart(13)}`);
  for (const conn of ['kept alive', 'new connection'] as const) {
    for (const key of ['ttfb', 'total'] as const) {
      const d = sorted(samples[`direct, ${conn}`], key);
      const t = sorted(samples[`transparent, ${conn}`], key);
      const [d50, t50] = [percentile(d, 50), percentile(t, 50)];
      console.log(
        `${`${key === 'ttfb' ? 'time to 1st byte' : 'total time'}, ${conn}`.padEnd(34)}${ms(d50)}${ms(t50).padStart(13)}${ms(t50 - d50)}   ${ms(percentile(d, 99))}${ms(percentile(t, 99)).padStart(13)}`,
      );
    }
  }
  const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
  const [bd, bt] = [median(bulk.direct), median(bulk.transparent)];
  console.log(`${`throughput, ${o.bulkBytes / 2 ** 20} MiB streamed (median of ${o.bulkRuns})`.padEnd(34)}${`${bd.toFixed(0)} MB/s`.padStart(11)}${`${bt.toFixed(0)} MB/s`.padStart(13)}${`${(bt / bd).toFixed(2)}x`.padStart(11)}`);
  const added = percentile(sorted(samples['transparent, kept alive'], 'ttfb'), 50) - percentile(sorted(samples['direct, kept alive'], 'ttfb'), 50);
  const addedNew = percentile(sorted(samples['transparent, new connection'], 'ttfb'), 50) - percentile(sorted(samples['direct, new connection'], 'ttfb'), 50);
  console.log(`added time to first byte at p50: ${added.toFixed(3)} ms on a kept-alive connection, ${addedNew.toFixed(3)} ms on a new one (goal: at most 1 ms)`);
}
