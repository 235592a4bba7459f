// Reading a captured connection's first bytes until they name a destination, within a byte
// limit and a time limit. The bytes read are kept: they are sent on, unchanged, once the
// connection is allowed. A client that speaks only after the server (SSH, SMTP, databases)
// sends nothing and runs into the time limit: it cannot name a destination.
import type { Socket } from 'node:net';
import { sniff, type Sniffed } from './sniff.ts';

export type Peeked =
  | { readonly ok: true; readonly head: Buffer; readonly sniffed: Exclude<Sniffed, { kind: 'partial' }> }
  | { readonly ok: false; readonly head: Buffer; readonly reason: string };

export function peekDestination(socket: Socket, maxBytes: number, timeoutMs: number): Promise<Peeked> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    const finish = (result: Peeked): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, length);
      const sniffed = sniff(head, maxBytes);
      if (sniffed.kind !== 'partial') finish({ ok: true, head, sniffed });
      else if (length >= maxBytes) finish({ ok: true, head, sniffed: { kind: 'unnamed', reason: `no destination name within the first ${maxBytes} bytes` } });
    };
    const onEnd = (): void => finish({ ok: false, head: Buffer.concat(chunks, length), reason: 'the application closed the connection before naming a destination' });
    const timer = setTimeout(
      () => finish({ ok: true, head: Buffer.concat(chunks, length), sniffed: { kind: 'unnamed', reason: `no TLS ClientHello or HTTP request within ${timeoutMs / 1000}s` } }),
      timeoutMs,
    );
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
  });
}
