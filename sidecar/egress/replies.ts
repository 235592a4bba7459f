// The gateway's own answers: JSON errors shaped like the providers' ({"error": {"type",
// "message", ...}}), so an SDK surfaces the message. They name destinations, regions and
// Secrets, never a credential or a request's content.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import http from '../../lib/node-http.ts';

const { STATUS_CODES } = http;

export interface ErrorDetail {
  readonly type: string;
  readonly message: string;
  readonly [extra: string]: unknown;
}

export function sendError(res: ServerResponse, status: number, detail: ErrorDetail, close = false): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: detail });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(body);
}

/** An error answer to CONNECT, written on the raw socket; the connection is closed after it. */
export function writeRawError(socket: Duplex, status: number, detail: ErrorDetail): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: detail });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'cache-control: no-store\r\n' +
      'connection: close\r\n\r\n' +
      body,
  );
}
