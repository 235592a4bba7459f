// The server name of a TLS ClientHello (RFC 8446 4.1.2, RFC 6066 section 3), read from the
// first bytes a client sends, without terminating TLS. Pure and bounded: bytes in, a verdict
// out; the caller decides how many bytes it is willing to wait for.
//
// Strict on purpose: a hello this parser does not understand is refused, never guessed at,
// since the name it yields decides where the connection goes.

export type HelloVerdict =
  /** Not enough bytes yet; more may complete the hello. */
  | { readonly kind: 'partial' }
  /** A well-formed ClientHello; `name` is its host_name, lower-cased, or undefined without one. */
  | { readonly kind: 'hello'; readonly name: string | undefined }
  | { readonly kind: 'invalid'; readonly reason: string };

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST = 0x00;
/** TLS plaintext records carry at most 2^14 bytes (RFC 8446 5.1). */
const MAX_RECORD = 16_384;

/** Whether the first byte can start a TLS handshake record (what the listener sniffs on). */
export function looksLikeTls(first: number): boolean {
  return first === RECORD_HANDSHAKE;
}

/**
 * Reassembles the handshake message from consecutive handshake records (a large hello, e.g.
 * with post-quantum key shares, may span several) and parses it once complete. `maxHello`
 * bounds the message itself; a longer one is refused rather than waited for.
 */
export function parseClientHello(buf: Uint8Array, maxHello = MAX_RECORD): HelloVerdict {
  const handshake: Uint8Array[] = [];
  let have = 0;
  let need = -1;
  let at = 0;
  while (need < 0 || have < need) {
    if (buf.length - at < 5) return { kind: 'partial' };
    if (buf[at] !== RECORD_HANDSHAKE) {
      return { kind: 'invalid', reason: at === 0 ? 'not a TLS handshake record' : 'the ClientHello is interleaved with another record type' };
    }
    const major = buf[at + 1]!;
    const minor = buf[at + 2]!;
    if (major !== 3 || minor > 4) return { kind: 'invalid', reason: `TLS record version ${major}.${minor} is not TLS 1.0 to 1.3` };
    const length = (buf[at + 3]! << 8) | buf[at + 4]!;
    if (length === 0 || length > MAX_RECORD) return { kind: 'invalid', reason: `TLS record length ${length} is out of bounds` };
    if (buf.length - at - 5 < length) {
      // Only what the parser can already judge is judged early; the rest waits for the bytes.
      const early = need < 0 ? earlyHeaderCheck(buf.subarray(at + 5), have, handshake, maxHello) : undefined;
      return early ?? { kind: 'partial' };
    }
    const fragment = buf.subarray(at + 5, at + 5 + length);
    handshake.push(fragment);
    have += fragment.length;
    at += 5 + length;
    if (need < 0 && have >= 4) {
      const head = concat(handshake, 4);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return { kind: 'invalid', reason: `handshake message type ${head[0]} is not a ClientHello` };
      need = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
      if (need - 4 > maxHello) return { kind: 'invalid', reason: `the ClientHello is ${need - 4} bytes long; the limit is ${maxHello}` };
    }
  }
  // Bytes after the hello in its last record would be a second handshake message, which a
  // client must not send before the server answers.
  if (have > need) return { kind: 'invalid', reason: 'data follows the ClientHello in its record' };
  return parseHelloBody(concat(handshake, need).subarray(4));
}

/** The handshake header, checked as soon as its 4 bytes are in, so a bogus length is refused at once. */
function earlyHeaderCheck(partialFragment: Uint8Array, have: number, handshake: readonly Uint8Array[], maxHello: number): HelloVerdict | undefined {
  if (have + partialFragment.length < 4) return undefined;
  const head = concat([...handshake, partialFragment], 4);
  if (head[0] !== HANDSHAKE_CLIENT_HELLO) return { kind: 'invalid', reason: `handshake message type ${head[0]} is not a ClientHello` };
  const length = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
  if (length > maxHello) return { kind: 'invalid', reason: `the ClientHello is ${length} bytes long; the limit is ${maxHello}` };
  return undefined;
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0]!.length >= length) return parts[0]!.subarray(0, length);
  const out = new Uint8Array(length);
  let off = 0;
  for (const p of parts) {
    if (off >= length) break;
    const take = p.subarray(0, Math.min(p.length, length - off));
    out.set(take, off);
    off += take.length;
  }
  return out;
}

class Malformed extends Error {}

/** A cursor that refuses to read past its end. */
class Reader {
  readonly #b: Uint8Array;
  #at = 0;
  readonly #end: number;
  constructor(b: Uint8Array, start = 0, end = b.length) {
    this.#b = b;
    this.#at = start;
    this.#end = end;
  }
  get left(): number {
    return this.#end - this.#at;
  }
  u8(what: string): number {
    this.#need(1, what);
    return this.#b[this.#at++]!;
  }
  u16(what: string): number {
    this.#need(2, what);
    const v = (this.#b[this.#at]! << 8) | this.#b[this.#at + 1]!;
    this.#at += 2;
    return v;
  }
  skip(n: number, what: string): void {
    this.#need(n, what);
    this.#at += n;
  }
  /** A sub-reader over the next n bytes, which this reader then skips. */
  sub(n: number, what: string): Reader {
    this.#need(n, what);
    const r = new Reader(this.#b, this.#at, this.#at + n);
    this.#at += n;
    return r;
  }
  bytes(n: number, what: string): Uint8Array {
    this.#need(n, what);
    const out = this.#b.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  #need(n: number, what: string): void {
    if (this.#end - this.#at < n) throw new Malformed(`the ClientHello ends inside ${what}`);
  }
}

function parseHelloBody(body: Uint8Array): HelloVerdict {
  try {
    const r = new Reader(body);
    const major = r.u8('legacy_version');
    r.u8('legacy_version');
    if (major !== 3) return { kind: 'invalid', reason: 'the ClientHello is not TLS' };
    r.skip(32, 'random');
    const sessionId = r.u8('legacy_session_id');
    if (sessionId > 32) return { kind: 'invalid', reason: `legacy_session_id of ${sessionId} bytes exceeds 32` };
    r.skip(sessionId, 'legacy_session_id');
    const suites = r.u16('cipher_suites');
    if (suites < 2 || suites % 2 !== 0) return { kind: 'invalid', reason: `cipher_suites length ${suites} is not a positive even number` };
    r.skip(suites, 'cipher_suites');
    const compression = r.u8('legacy_compression_methods');
    if (compression < 1) return { kind: 'invalid', reason: 'legacy_compression_methods is empty' };
    r.skip(compression, 'legacy_compression_methods');
    // TLS 1.0 to 1.2 hellos may end here (no extensions): valid, but without a name.
    if (r.left === 0) return { kind: 'hello', name: undefined };
    const extensions = r.sub(r.u16('extensions'), 'extensions');
    if (r.left !== 0) return { kind: 'invalid', reason: 'bytes follow the extensions' };
    return { kind: 'hello', name: serverName(extensions) };
  } catch (err) {
    if (err instanceof Malformed) return { kind: 'invalid', reason: err.message };
    if (err instanceof InvalidName) return { kind: 'invalid', reason: err.message };
    throw err;
  }
}

class InvalidName extends Error {}

function serverName(extensions: Reader): string | undefined {
  const seen = new Set<number>();
  let name: string | undefined;
  while (extensions.left > 0) {
    const type = extensions.u16('an extension type');
    const data = extensions.sub(extensions.u16('an extension length'), `extension ${type}`);
    // RFC 8446 4.2: at most one extension of each type. Two server_name extensions would let
    // two parsers disagree on the destination.
    if (seen.has(type)) throw new Malformed(`extension ${type} appears twice`);
    seen.add(type);
    if (type !== EXT_SERVER_NAME) continue;
    const list = data.sub(data.u16('server_name_list'), 'server_name_list');
    if (data.left !== 0) throw new Malformed('bytes follow the server_name_list');
    if (list.left === 0) throw new Malformed('the server_name_list is empty');
    while (list.left > 0) {
      const nameType = list.u8('a name_type');
      const value = list.bytes(list.u16('a server name length'), 'a server name');
      if (nameType !== NAME_TYPE_HOST) continue;
      if (name !== undefined) throw new InvalidName('the server_name extension names two hosts');
      name = hostName(value);
    }
  }
  return name;
}

// RFC 6066: "HostName" is the fully qualified DNS hostname, ASCII (A-labels for IDNs), without
// a trailing dot; literal IP addresses are not permitted.
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/u;

function hostName(bytes: Uint8Array): string {
  if (bytes.length === 0 || bytes.length > 253) throw new InvalidName(`the server name is ${bytes.length} bytes long; a host name has 1 to 253`);
  let text = '';
  for (const b of bytes) {
    if (b < 0x21 || b > 0x7e) throw new InvalidName('the server name holds a byte that no host name has');
    text += String.fromCharCode(b);
  }
  const name = text.toLowerCase();
  const labels = name.split('.');
  if (!labels.every((l) => LABEL.test(l))) throw new InvalidName(`the server name ${JSON.stringify(name.slice(0, 80))} is not a DNS host name`);
  if (/^[0-9]+$/u.test(labels.at(-1)!)) throw new InvalidName(`the server name ${JSON.stringify(name)} is an IP address, which SNI does not carry`);
  return name;
}
