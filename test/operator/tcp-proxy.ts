// A TCP proxy between the operator and the API server, so a test can break connections the
// ways networks do: reset them (RST, as when a node or load balancer drops state), or freeze
// them (bytes stop flowing but nothing closes, as when a NAT entry silently expires; the case
// Node watches never notice on their own), or refuse new ones for a while (the API server is
// down). TLS passes through untouched.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

interface Pair {
  client: Socket;
  upstream: Socket;
}

export class TcpProxy {
  #server: Server | undefined;
  #port = 0;
  readonly #pairs = new Set<Pair>();
  /** frozen connections stay open on purpose until close() */
  readonly #frozen = new Set<Pair>();
  readonly #target: { host: string; port: number };
  connections = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  static async start(targetUrl: string): Promise<TcpProxy> {
    const u = new URL(targetUrl);
    const proxy = new TcpProxy({ host: u.hostname, port: Number(u.port) });
    const server = proxy.#listen(0);
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    proxy.#port = (server.address() as AddressInfo).port;
    return proxy;
  }

  #listen(port: number): Server {
    const server = createServer((client) => this.#accept(client));
    server.listen(port, '127.0.0.1');
    this.#server = server;
    return server;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  /** Stops listening: new connections are refused (ECONNREFUSED, as when the API server is down); open ones carry on. */
  stopAccepting(): void {
    this.#server?.close();
    this.#server = undefined;
  }

  /** After stopAccepting(): listens again, on the same port, in time for the next connection attempt. */
  startAccepting(): void {
    if (!this.#server) this.#listen(this.#port);
  }

  get open(): number {
    return this.#pairs.size;
  }

  #accept(client: Socket): void {
    this.connections++;
    const upstream = connect(this.#target.port, this.#target.host);
    const pair = { client, upstream };
    this.#pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  }

  /** Resets every open connection (the peer sees ECONNRESET). */
  reset(): number {
    const n = this.#pairs.size;
    for (const { client, upstream } of [...this.#pairs]) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.#pairs.clear();
    return n;
  }

  /** Stops every open connection dead without closing it; new connections work normally. */
  freeze(): number {
    const n = this.#pairs.size;
    for (const pair of [...this.#pairs]) {
      pair.client.unpipe(pair.upstream);
      pair.upstream.unpipe(pair.client);
      pair.client.pause();
      pair.upstream.pause();
      this.#pairs.delete(pair);
      this.#frozen.add(pair);
    }
    return n;
  }

  async close(): Promise<void> {
    for (const { client, upstream } of [...this.#pairs, ...this.#frozen]) {
      client.destroy();
      upstream.destroy();
    }
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
