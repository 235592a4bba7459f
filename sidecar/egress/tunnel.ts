// Opening a CONNECT tunnel to a checked address. What flows through it is encrypted between
// the application and the provider, so nothing in it can be masked: the tunnel is recorded
// as such, and the policy can forbid tunnels (egress.tunnels: deny).
import net from 'node:net';
import type { ResolvedAddress } from './resolve.ts';
import { UpstreamFailure } from './send.ts';

/** Connects to the first of the checked addresses that accepts, within the timeout each. */
export async function connectPinned(addresses: readonly ResolvedAddress[], port: number, timeoutMs: number, signal: AbortSignal): Promise<net.Socket> {
  let last: UpstreamFailure | undefined;
  for (const a of addresses) {
    try {
      return await connectOne(a, port, timeoutMs, signal);
    } catch (err) {
      if (!(err instanceof UpstreamFailure) || err.kind === 'aborted') throw err;
      last = err;
    }
  }
  throw last ?? new UpstreamFailure('connect', 'no address to connect to');
}

function connectOne(a: ResolvedAddress, port: number, timeoutMs: number, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: a.address, family: a.family, port });
    const where = `${a.family === 6 ? `[${a.address}]` : a.address}:${port}`;
    const done = (err: UpstreamFailure | undefined): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      if (err === undefined) {
        resolve(socket);
      } else {
        socket.destroy();
        reject(err);
      }
    };
    const onError = (err: NodeJS.ErrnoException): void => done(new UpstreamFailure('connect', `cannot connect to ${where}: ${err.code ?? err.message}`));
    const onAbort = (): void => done(new UpstreamFailure('aborted', 'the application went away'));
    const timer = setTimeout(() => done(new UpstreamFailure('timeout', `cannot connect to ${where} within ${timeoutMs / 1000}s`)), timeoutMs);
    socket.once('connect', () => done(undefined));
    socket.once('error', onError);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Joins the two sockets until either side closes; resolves with the bytes each way. */
export function splice(client: net.Socket, upstream: net.Socket, head: Buffer): Promise<{ sent: number; received: number }> {
  return new Promise((resolve) => {
    let sent = head.length;
    let received = 0;
    if (head.length > 0) upstream.write(head);
    client.on('data', (c: Buffer) => (sent += c.length));
    upstream.on('data', (c: Buffer) => (received += c.length));
    client.pipe(upstream);
    upstream.pipe(client);
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      client.destroy();
      upstream.destroy();
      resolve({ sent, received });
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
}
