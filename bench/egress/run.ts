// Egress gateway overhead on a streamed chat completion: time to first byte and total time,
// direct to the provider versus through the gateway (pseudonymize mode: the prompt masked on
// the way out, the streamed answer restored on the way back, tokens split across deltas), in
// one run, interleaved, with p50/p99 and the ratios. Then the transparent listener for
// captured traffic against direct (transparent.ts): time to first byte and throughput.
//
//   node_modules/.bin/node bench/egress/run.ts [--iterations N] [--deltas N] [--delay-ms N] [--bulk-mib N] [--quick]
//
// The provider is the test suite's fake (HTTPS, test CA) on loopback; it echoes the prompt
// back in small deltas, so every answer carries tokens to restore. By default it sends them
// back to back, so the figures are the gateway's own cost; --delay-ms paces the deltas like a
// model generating them. Client, gateway and
// provider share one process and event loop: the gateway's work is on the same clock as the
// rest, which is what an added hop costs in a busy pod.
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { startCaptureHarness } from '../../test/capture/support/listener.ts';
import { OPENAI_KEY } from '../../test/egress/support/harness.ts';
import { percentile } from '../lib/stats.ts';
import { benchTransparent } from './transparent.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = args.includes('--quick');
const ITERATIONS = arg('iterations', quick ? 60 : 400);
const WARMUP = Math.max(10, Math.floor(ITERATIONS / 10));
const DELTAS = arg('deltas', 64);
const DELAY_MS = arg('delay-ms', 0);
const BULK_MIB = arg('bulk-mib', quick ? 16 : 64);

const PROMPT =
  'Please draft a reply to jane.doe@example.com about invoice 2291; she also left +44 20 7946 0958 ' +
  'and asked us to refund the card 4111 1111 1111 1111. Her colleague john.smith@example.org is in copy, ' +
  'IBAN DE89 3704 0044 0532 0130 00 for the transfer.';

interface Sample {
  readonly ttfb: number;
  readonly total: number;
  readonly text: string;
}

function once(send: (onResponse: (res: http.IncomingMessage) => void) => http.ClientRequest, body: string): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttfb = 0;
    let text = '';
    const req = send((res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (ttfb === 0) ttfb = performance.now() - t0;
        text += chunk;
      });
      res.on('end', () => resolve({ ttfb, total: performance.now() - t0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function contentOf(sse: string): string {
  let out = '';
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice(6)) as { choices: Array<{ delta: { content?: string } }> };
    out += chunk.choices[0]?.delta.content ?? '';
  }
  return out;
}

async function main(): Promise<void> {
  const reply = `Echo: ${PROMPT}`;
  const captured = await startCaptureHarness({ chunk: Math.max(1, Math.ceil(reply.length / DELTAS)), delayMs: DELAY_MS });
  const h = captured.h;
  const body = JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: PROMPT }] });
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
  const directAgent = new https.Agent({ keepAlive: true, ca: h.pki.caPem, servername: 'api.openai.example' });
  const gatewayAgent = new http.Agent({ keepAlive: true });

  const direct = (): Promise<Sample> =>
    once(
      (cb) =>
        https.request(
          { host: '127.0.0.1', port: h.openai.port, servername: 'api.openai.example', method: 'POST', path: '/v1/chat/completions', agent: directAgent, headers: { ...headers, host: `api.openai.example:${h.openai.port}`, authorization: `Bearer ${OPENAI_KEY}` } },
          cb,
        ),
      body,
    );
  const viaGateway = (): Promise<Sample> =>
    once((cb) => http.request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/openai/v1/chat/completions', agent: gatewayAgent, headers }, cb), body);

  // The answers must be the same text: restoration is on and correct, or the figures mean nothing.
  const [d0, g0] = [await direct(), await viaGateway()];
  if (contentOf(d0.text) !== reply || contentOf(g0.text) !== reply) throw new Error('the gateway did not restore the streamed answer');
  const deltas = (g0.text.match(/^data: \{/gmu) ?? []).length;

  for (let i = 0; i < WARMUP; i++) {
    await direct();
    await viaGateway();
  }
  const samples = { direct: [] as Sample[], gateway: [] as Sample[] };
  for (let i = 0; i < ITERATIONS; i++) {
    // Interleaved, alternating who goes first, so drift (GC, other load) hits both alike.
    if (i % 2 === 0) {
      samples.direct.push(await direct());
      samples.gateway.push(await viaGateway());
    } else {
      samples.gateway.push(await viaGateway());
      samples.direct.push(await direct());
    }
  }
  directAgent.destroy();
  gatewayAgent.destroy();
  const masked = h.audit.last().masked;

  const stats = (xs: readonly Sample[], key: 'ttfb' | 'total'): { p50: number; p99: number } => {
    const sorted = xs.map((s) => s[key]).sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };
  const ms = (x: number): string => `${x.toFixed(3)} ms`.padStart(11);
  console.log(`egress gateway benchmark: streamed chat completion, ${deltas} SSE deltas${DELAY_MS > 0 ? ` ${DELAY_MS} ms apart` : ' back to back'}, ${ITERATIONS} iterations each (after ${WARMUP} warm-up), Node ${process.version}`);
  console.log(`masking: pseudonymize, ${Object.entries(masked).map(([t, n]) => `${n} ${t}`).join(', ')} per request; answer restored on the way back`);
  console.log('');
  console.log(`${'metric'.padEnd(16)}${'direct p50'.padStart(11)}${'gateway p50'.padStart(13)}${'ratio'.padStart(8)}   ${'direct p99'.padStart(11)}${'gateway p99'.padStart(13)}${'ratio'.padStart(8)}`);
  for (const key of ['ttfb', 'total'] as const) {
    const d = stats(samples.direct, key);
    const g = stats(samples.gateway, key);
    console.log(
      `${(key === 'ttfb' ? 'time to 1st byte' : 'total time').padEnd(16)}${ms(d.p50)}${ms(g.p50).padStart(13)}${`${(g.p50 / d.p50).toFixed(2)}x`.padStart(8)}   ${ms(d.p99)}${ms(g.p99).padStart(13)}${`${(g.p99 / d.p99).toFixed(2)}x`.padStart(8)}`,
    );
  }
  const added = stats(samples.gateway, 'total').p50 - stats(samples.direct, 'total').p50;
  console.log('');
  console.log(`added per streamed completion (p50 total): ${added.toFixed(3)} ms`);

  await benchTransparent(captured, { iterations: ITERATIONS, warmup: WARMUP, body, bulkBytes: BULK_MIB * 2 ** 20, bulkRuns: quick ? 3 : 7 });
  await captured.close();
}

await main();
