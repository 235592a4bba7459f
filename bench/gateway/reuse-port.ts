// Loaded with --import into a sidecar process by bench/gateway: makes its MCP listener bind with
// SO_REUSEPORT, so that two sidecar processes can share one port and the kernel spreads the
// connections between them. Bench only: it shows what more than one sidecar process could gain
// at best on this machine (each process keeps its own sessions and audit directory, which a
// real multi-process sidecar could not).
import net from 'node:net';

const port = Number(process.env.BENCH_REUSE_PORT);
const proto = net.Server.prototype as unknown as { listen: (...args: unknown[]) => net.Server };
const listen = proto.listen;
proto.listen = function (this: net.Server, ...args: unknown[]): net.Server {
  // The sidecar listens as listen(port, host, callback).
  if (args[0] === port && typeof args[1] === 'string') return listen.call(this, { port, host: args[1], reusePort: true }, args[2]);
  return listen.apply(this, args);
};
