// What a captured connection's first bytes say about where it wants to go: a TLS ClientHello
// (the SNI), an HTTP/1 request (the Host), the sidecar's own capture probe, or nothing the
// listener will pass. Pure: the listener feeds it the bytes read so far.
import { parseRequestHead } from './http-host.ts';
import { looksLikeTls, parseClientHello } from './sni.ts';

export type Sniffed =
  | { readonly kind: 'partial' }
  | { readonly kind: 'tls'; readonly name: string | undefined }
  | { readonly kind: 'http'; readonly method: string; readonly host: string; readonly port: number | undefined }
  | { readonly kind: 'probe'; readonly nonce: string }
  | { readonly kind: 'unnamed'; readonly reason: string };

/** The line the sidecar sends to prove its own connections are redirected (`PROBE_PREFIX<nonce>\n`). */
export const PROBE_PREFIX = 'MCP-RESIDENCY-CAPTURE-PROBE ';
/** The listener's answer: `PROBE_ANSWER<nonce>\n`. */
export const PROBE_ANSWER = 'MCP-RESIDENCY-CAPTURE-OK ';
const PROBE_LINE = /^MCP-RESIDENCY-CAPTURE-PROBE ([0-9a-f]{32})\n$/u;
const PROBE_MAX = PROBE_PREFIX.length + 33;

export function sniff(buf: Uint8Array, maxBytes: number): Sniffed {
  if (buf.length === 0) return { kind: 'partial' };
  if (looksLikeTls(buf[0]!)) {
    const hello = parseClientHello(buf, maxBytes);
    if (hello.kind === 'partial') return buf.length >= maxBytes ? { kind: 'unnamed', reason: `no complete ClientHello within ${maxBytes} bytes` } : hello;
    if (hello.kind === 'invalid') return { kind: 'unnamed', reason: `malformed TLS ClientHello: ${hello.reason}` };
    return { kind: 'tls', name: hello.name };
  }
  const probe = sniffProbe(buf);
  if (probe !== undefined) return probe;
  const head = parseRequestHead(buf, maxBytes);
  if (head.kind === 'partial') return head;
  if (head.kind === 'invalid') return { kind: 'unnamed', reason: head.reason };
  return { kind: 'http', method: head.method, host: head.host, port: head.port };
}

function sniffProbe(buf: Uint8Array): Sniffed | undefined {
  const n = Math.min(buf.length, PROBE_MAX);
  const text = Buffer.from(buf.buffer, buf.byteOffset, n).toString('latin1');
  if (!PROBE_PREFIX.startsWith(text.slice(0, PROBE_PREFIX.length))) return undefined;
  if (text.length < PROBE_MAX) return { kind: 'partial' };
  const m = PROBE_LINE.exec(text);
  if (m === null || buf.length !== PROBE_MAX) return { kind: 'unnamed', reason: 'malformed capture probe' };
  return { kind: 'probe', nonce: m[1]! };
}
