// Preloaded (node --import) into a process under measurement: on a small HTTP port of its own
// (BENCH_PROBE_PORT), /stats collects garbage and answers the heap statistics, what Node holds
// off the JS heap and the RSS; /snapshot?file=F writes a heap snapshot to F. What the open-sessions
// probe (sessions-probe.ts) compares between few and many sessions. Bench-only: never loaded by
// the product.
import type http from 'node:http';
import { Session } from 'node:inspector/promises';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { notFound, serveProbe } from './probe-port.ts';

const session = new Session();
session.connect();

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://probe');
  if (url.searchParams.get('gc') !== '0') await session.post('HeapProfiler.collectGarbage');
  if (url.pathname === '/stats') {
    const heap = v8.getHeapStatistics();
    const mem = process.memoryUsage();
    const rss = Number(/VmRSS:\s+(\d+) kB/u.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, [s.space_size, s.space_used_size]]));
    res.end(JSON.stringify({ rss, used: heap.used_heap_size, total: heap.total_heap_size, external: mem.external, arrayBuffers: mem.arrayBuffers, spaces }));
    return;
  }
  if (url.pathname === '/snapshot') {
    v8.writeHeapSnapshot(url.searchParams.get('file')!);
    res.end('{}');
    return;
  }
  notFound(res);
}

serveProbe('BENCH_PROBE_PORT', handle);
