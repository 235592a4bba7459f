// The destination of a plain HTTP/1 request, read from its head (RFC 9112 section 3 and
// RFC 9110 section 7.2: the Host header, or the authority of an absolute-form target). Pure
// and strict: a head this parser does not understand is refused, never guessed at.

export type HeadVerdict =
  | { readonly kind: 'partial' }
  | { readonly kind: 'request'; readonly method: string; readonly host: string; readonly port: number | undefined }
  | { readonly kind: 'invalid'; readonly reason: string };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/u;
// Methods are tokens; every registered one is upper-case letters, and only those are taken, so
// the bytes that decide "this is HTTP" are the same ones looksLikeHttp() waits on.
const REQUEST_LINE = /^([A-Z]{1,20}) (\S+) HTTP\/1\.([01])$/u;
const AUTHORITY = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9._-]+)(?::(\d{1,5}))?$/u;

/** Whether the first bytes can be the start of an HTTP/1 request line (a method token). */
export function looksLikeHttp(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 24);
  let i = 0;
  while (i < n && buf[i]! >= 0x41 && buf[i]! <= 0x5a) i++;
  return i > 0 && (i === buf.length || buf[i] === 0x20);
}

export function parseRequestHead(buf: Uint8Array, maxHead: number): HeadVerdict {
  const text = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, maxHead)).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length >= maxHead) return { kind: 'invalid', reason: `the request head is longer than ${maxHead} bytes` };
    if (text.length > 0 && !looksLikeHttp(buf)) return { kind: 'invalid', reason: 'not an HTTP/1 request' };
    return { kind: 'partial' };
  }
  const lines = text.slice(0, end).split('\r\n');
  const line = REQUEST_LINE.exec(lines[0]!);
  if (line === null) return { kind: 'invalid', reason: 'the request line is not "METHOD target HTTP/1.x"' };
  const method = line[1]!;
  const target = line[2]!;
  // A proxy request: the application believes it talks to a proxy, which the capture is not.
  if (method === 'CONNECT') return { kind: 'invalid', reason: 'CONNECT is a proxy request; use the egress gateway as the proxy (HTTPS_PROXY)' };
  let host: string | undefined;
  for (const header of lines.slice(1)) {
    const colon = header.indexOf(':');
    if (colon <= 0) return { kind: 'invalid', reason: 'a header line has no name' };
    const name = header.slice(0, colon);
    // Whitespace before the colon is how requests are smuggled past one parser to another.
    if (!TOKEN.test(name)) return { kind: 'invalid', reason: `the header name ${JSON.stringify(name.slice(0, 40))} is not a token` };
    if (name.toLowerCase() !== 'host') continue;
    if (host !== undefined) return { kind: 'invalid', reason: 'the request has two Host headers' };
    host = header.slice(colon + 1).trim();
  }
  let authority = host;
  if (/^https?:\/\//iu.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return { kind: 'invalid', reason: 'the absolute request target does not parse' };
    }
    // Two names for one request: whichever a server reads, the decision must have read the same.
    if (host !== undefined && host.toLowerCase() !== url.host.toLowerCase()) {
      return { kind: 'invalid', reason: `the request target names ${url.host} but the Host header ${host}` };
    }
    authority = url.host;
  }
  if (authority === undefined || authority === '') return { kind: 'invalid', reason: 'the request names no host (no Host header)' };
  const m = AUTHORITY.exec(authority);
  if (m === null) return { kind: 'invalid', reason: `the Host ${JSON.stringify(authority.slice(0, 80))} is not host[:port]` };
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return { kind: 'invalid', reason: `the Host's port ${port} is out of range` };
  let name = m[1]!.toLowerCase();
  if (name.startsWith('[')) name = name.slice(1, -1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  return { kind: 'request', method, host: name, port };
}
