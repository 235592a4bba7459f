// Preloaded (node --import) into a process under measurement: counts the bytes V8 allocates
// between /start and /stop on a small HTTP port of its own (BENCH_METER_PORT), from V8's own
// per-GC heap statistics. Bytes allocated = bytes the collections freed + the heap's net growth,
// so nothing here depends on when the collector happens to run. Bench-only: never loaded by the
// product.
import http from 'node:http';
import v8 from 'node:v8';

interface GcStat {
  readonly beforeGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
  readonly afterGC: { readonly heapStatistics: { readonly usedHeapSize: number } };
}

const port = Number(process.env.BENCH_METER_PORT);
let profiler: v8.GCProfiler | undefined;
let usedAtStart = 0;

const server = http.createServer((req, res) => {
  if (req.url === '/start') {
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
    let freed = 0;
    for (const s of stats) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    res.end(JSON.stringify({ allocatedBytes: freed + usedAtStop - usedAtStart, collections: stats.length }));
    return;
  }
  res.statusCode = 404;
  res.end();
});
// The meter must not keep a process alive that would otherwise exit.
server.unref();
if (Number.isInteger(port) && port > 0) server.listen(port, '127.0.0.1');
