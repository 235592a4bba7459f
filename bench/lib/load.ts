// Load generation: vegeta at a fixed rate for latency percentiles (open model: requests go out
// on schedule whether or not earlier ones came back, so queueing shows), and wrk for the
// saturation throughput (closed model: as fast as answers come back).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface HttpTarget {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface FixedRateResult {
  readonly rate: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly success: number;
  readonly requests: number;
}

export async function fixedRate(vegetaBin: string, dir: string, target: HttpTarget, rate: number, seconds: number): Promise<FixedRateResult> {
  const targets = join(dir, `targets-${rate}.json`);
  const header: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(target.headers)) header[k] = [v];
  await writeFile(targets, `${JSON.stringify({ method: 'POST', url: target.url, body: Buffer.from(target.body).toString('base64'), header })}\n`);
  const results = join(dir, `results-${rate}.bin`);
  await run(vegetaBin, ['attack', '-format=json', `-targets=${targets}`, `-rate=${rate}/s`, `-duration=${seconds}s`, '-keepalive=true', '-max-workers=256', `-output=${results}`], { maxBuffer: 256 << 20 });
  const { stdout } = await run(vegetaBin, ['report', '-type=json', results], { maxBuffer: 64 << 20 });
  const r = JSON.parse(stdout) as { latencies: Record<string, number>; success: number; requests: number };
  const ms = (ns: number | undefined): number => (ns ?? 0) / 1e6;
  return { rate, p50Ms: ms(r.latencies['50th']), p90Ms: ms(r.latencies['90th']), p99Ms: ms(r.latencies['99th']), maxMs: ms(r.latencies.max), success: r.success, requests: r.requests };
}

export interface SaturationResult {
  readonly requestsPerSecond: number;
  readonly non2xx: number;
}

export async function saturation(wrkBin: string, dir: string, target: HttpTarget, seconds: number, connections = 32): Promise<SaturationResult> {
  const script = join(dir, 'post.lua');
  const headerLines = Object.entries(target.headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join('\n');
  await writeFile(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(target.body)}\n${headerLines}\n`);
  const { stdout } = await run(wrkBin, ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, target.url], { maxBuffer: 16 << 20 });
  const rps = /Requests\/sec:\s+([\d.]+)/u.exec(stdout);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/u.exec(stdout);
  if (!rps) throw new Error(`cannot read wrk output:\n${stdout}`);
  return { requestsPerSecond: Number(rps[1]), non2xx: non2xx ? Number(non2xx[1]) : 0 };
}
