// Preloaded (node --import) into a process under measurement: counts the bytes V8 allocates
// between /start and /stop on a small HTTP port of its own (BENCH_METER_PORT), from V8's own
// per-GC heap statistics. Bytes allocated = bytes the collections freed + the heap's net growth,
// so nothing here depends on when the collector happens to run. With BENCH_HEAP_PROFILE=FILE it
// also runs V8's sampling heap profiler over the same window, counting objects the collector has
// already freed, and writes the allocation sites ranked by bytes to FILE: where to cut first.
// Bench-only: never loaded by the product.
import { writeFileSync } from 'node:fs';
import type http from 'node:http';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import { notFound, serveProbe } from './probe-port.ts';

interface GcStat {
  readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
}

let profiler: v8.GCProfiler | undefined;
let usedAtStart = 0;
const heapProfile = process.env.BENCH_HEAP_PROFILE;
const session = heapProfile ? new Session() : undefined;
session?.connect();

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const siteOf = (n: ProfileNode): string => {
  const f = n.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//u, '$1/')}:${f.lineNumber + 1}`;
};

/**
 * Bytes by allocation site (function, file:line), largest first. A built-in (sort, keys,
 * entries: no script of its own) is named with the function that called it, which is the site
 * to change.
 */
function rank(root: ProfileNode): string {
  const bySite = new Map<string, number>();
  const walk = (n: ProfileNode, caller: string): void => {
    const site = n.callFrame.url === '' && n.callFrame.functionName !== '(root)' ? `${siteOf(n)} <- ${caller}` : siteOf(n);
    bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, n.callFrame.url === '' ? caller : siteOf(n));
  };
  walk(root, '(root)');
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  // The same bytes by file (a built-in's go to its caller's file): which module to look at.
  const byFile = new Map<string, number>();
  for (const [site, bytes] of bySite) {
    const file = site.replace(/^.* (?=\S+$)/u, '').replace(/:\d+$/u, '');
    byFile.set(file, (byFile.get(file) ?? 0) + bytes);
  }
  const ranked = (m: Map<string, number>, n: number): string =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([site, bytes]) => `${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${site}`)
      .join('\n');
  return `${ranked(bySite, 60)}\n\nby file:\n${ranked(byFile, 30)}`;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.url === '/start') {
    await session?.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    profiler = new v8.GCProfiler();
    usedAtStart = v8.getHeapStatistics().used_heap_size;
    profiler.start();
    res.end('{}');
    return;
  }
  if (req.url === '/stop' && profiler) {
    const usedAtStop = v8.getHeapStatistics().used_heap_size;
    const stats = (profiler.stop()?.statistics ?? []) as unknown as GcStat[];
    profiler = undefined;
    if (session && heapProfile) {
      const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
      writeFileSync(heapProfile, rank(profile.head) + '\n');
    }
    let freed = 0;
    for (const s of stats) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    res.end(JSON.stringify({ allocatedBytes: freed + usedAtStop - usedAtStart, collections: stats.length }));
    return;
  }
  notFound(res);
}

serveProbe('BENCH_METER_PORT', handle);
