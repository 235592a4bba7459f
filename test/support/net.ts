// A free loopback port, for servers a test (or benchmark) must name before they start. It is
// released before the caller binds it, so another process can take it in between: callers that
// start something on it retry on a fresh port when that happens (see controlplane.ts).
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
