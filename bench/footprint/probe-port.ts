// The small HTTP port a preloaded bench probe (heap-probe.ts, gc-meter.ts) answers on inside the
// process under measurement. Bench-only: never loaded by the product.
import http from 'node:http';

/** Serves `handle` on 127.0.0.1 at the port in env[`portVariable`] (none set: not at all). */
export function serveProbe(portVariable: string, handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>): void {
  const port = Number(process.env[portVariable]);
  const server = http.createServer((req, res) => void handle(req, res));
  // The probe must not keep a process alive that would otherwise exit.
  server.unref();
  if (Number.isInteger(port) && port > 0) server.listen(port, '127.0.0.1');
}

/** The answer to a path the probe does not know. */
export function notFound(res: http.ServerResponse): void {
  res.statusCode = 404;
  res.end();
}
