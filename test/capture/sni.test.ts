// The ClientHello parser against real hellos (Node's OpenSSL), hellos built field by field,
// every truncation, every fragmentation, single-byte corruptions and random bytes: it must
// never throw, never wait beyond its bound, and name a host only from a well-formed hello.
import { expect } from 'chai';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { parseClientHello, type HelloVerdict } from '../../sidecar/capture/sni.ts';

/** The first flight of a real TLS client (Node's OpenSSL) connecting with `servername`. */
async function realHello(servername: string | undefined): Promise<Buffer> {
  const server = net.createServer();
  const got = new Promise<Buffer>((resolve) => {
    server.once('connection', (socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (parseClientHello(buf).kind !== 'partial') {
          socket.destroy();
          resolve(buf);
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = tls.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ...(servername !== undefined ? { servername } : {}) });
  client.on('error', () => undefined);
  const hello = await got;
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return hello;
}

const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number): Buffer => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const ext = (type: number, data: Buffer): Buffer => Buffer.concat([u16(type), u16(data.length), data]);
const nameEntry = (name: string | Buffer, type = 0): Buffer => {
  const b = typeof name === 'string' ? Buffer.from(name, 'latin1') : name;
  return Buffer.concat([Buffer.from([type]), u16(b.length), b]);
};
const sniExt = (...entries: Buffer[]): Buffer => {
  const list = Buffer.concat(entries);
  return ext(0, Buffer.concat([u16(list.length), list]));
};

/** A ClientHello handshake message (type, length, body) with the given extensions (none: undefined). */
function helloMessage(extensions: Buffer[] | undefined, trailer = Buffer.alloc(0)): Buffer {
  const exts = extensions === undefined ? Buffer.alloc(0) : Buffer.concat(extensions);
  const body = Buffer.concat([
    Buffer.from([3, 3]),
    Buffer.alloc(32, 7),
    Buffer.from([32]),
    Buffer.alloc(32, 9),
    u16(4),
    Buffer.from([0x13, 0x01, 0x13, 0x02]),
    Buffer.from([1, 0]),
    extensions === undefined ? Buffer.alloc(0) : Buffer.concat([u16(exts.length), exts]),
    trailer,
  ]);
  return Buffer.concat([Buffer.from([1]), u24(body.length), body]);
}

/** The message in handshake records of at most `size` bytes each. */
function inRecords(message: Buffer, size = 16_384): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < message.length; at += size) {
    const part = message.subarray(at, at + size);
    out.push(Buffer.from([0x16, 3, 1]), u16(part.length), part);
  }
  return Buffer.concat(out);
}

/** The handshake message inside a (single-record) real hello. */
function messageOf(records: Buffer): Buffer {
  return records.subarray(5, 5 + records.readUInt16BE(3));
}

/** Deterministic pseudo-random bytes (xorshift), so a failure reproduces. */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) & 0xff;
  };
}

const named = (v: HelloVerdict): string | undefined => (v.kind === 'hello' ? v.name : `(${v.kind})`);

describe('capture: TLS ClientHello parsing (sni.ts)', () => {
  let real: Buffer;
  before(async () => {
    real = await realHello('api.openai.example');
  });

  it("names the host of a real OpenSSL hello, and none when the client sends no SNI (an IP address)", async () => {
    expect(parseClientHello(real)).to.deep.equal({ kind: 'hello', name: 'api.openai.example' });
    expect(parseClientHello(await realHello(undefined))).to.deep.equal({ kind: 'hello', name: undefined });
  });

  it('every truncation of a hello is partial: it waits, it never guesses', () => {
    for (let n = 0; n < real.length; n++) expect(parseClientHello(real.subarray(0, n)).kind, `first ${n} bytes`).to.equal('partial');
  });

  it('a hello split across records of any size is reassembled to the same name; each prefix is partial', () => {
    const message = messageOf(real);
    for (const size of [1, 2, 3, 4, 5, 7, 64, 100, 511]) {
      const records = inRecords(message, size);
      expect(named(parseClientHello(records)), `records of ${size}`).to.equal('api.openai.example');
      for (let n = 0; n < records.length; n += Math.max(1, Math.floor(records.length / 50))) {
        expect(parseClientHello(records.subarray(0, n)).kind, `records of ${size}, first ${n} bytes`).to.equal('partial');
      }
    }
  });

  it('lower-cases the name; a TLS 1.0-style hello without extensions has no name', () => {
    expect(named(parseClientHello(inRecords(helloMessage([sniExt(nameEntry('API.Example.COM'))]))))).to.equal('api.example.com');
    expect(parseClientHello(inRecords(helloMessage(undefined)))).to.deep.equal({ kind: 'hello', name: undefined });
    expect(parseClientHello(inRecords(helloMessage([ext(10, Buffer.from([0, 2, 0, 29]))])))).to.deep.equal({ kind: 'hello', name: undefined });
  });

  it('refuses names that two parsers could read differently or that are no host name', () => {
    const cases: Array<[string, Buffer[]]> = [
      ['two server_name extensions', [sniExt(nameEntry('a.example')), sniExt(nameEntry('b.example'))]],
      ['two host names in one list', [sniExt(nameEntry('a.example'), nameEntry('b.example'))]],
      ['an empty list', [ext(0, u16(0))]],
      ['bytes after the list', [ext(0, Buffer.concat([u16(0), Buffer.from([1])]))]],
      ['an IP address', [sniExt(nameEntry('10.0.0.1'))]],
      ['a space', [sniExt(nameEntry('a b.example'))]],
      ['a NUL byte', [sniExt(nameEntry(Buffer.from('good.example\0evil.example', 'latin1')))]],
      ['an empty name', [sniExt(nameEntry(''))]],
      ['a trailing dot', [sniExt(nameEntry('a.example.'))]],
      ['254 bytes', [sniExt(nameEntry(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`))]],
      ['a label of 64', [sniExt(nameEntry(`${'a'.repeat(64)}.example`))]],
      ['a length past the extension', [ext(0, Buffer.concat([u16(20), nameEntry('a.example')]))]],
      ['a duplicated other extension', [ext(10, Buffer.alloc(2)), ext(10, Buffer.alloc(2)), sniExt(nameEntry('a.example'))]],
    ];
    for (const [what, exts] of cases) expect(parseClientHello(inRecords(helloMessage(exts))).kind, what).to.equal('invalid');
    // Other name types are skipped (RFC 6066 allows only host_name today); the host_name counts.
    expect(named(parseClientHello(inRecords(helloMessage([sniExt(nameEntry('x', 7), nameEntry('a.example'))]))))).to.equal('a.example');
  });

  it('refuses what is not a ClientHello in handshake records', () => {
    const message = messageOf(real);
    const withHeader = (h: number[]): Buffer => Buffer.concat([Buffer.from(h), u16(message.length), message]);
    expect(parseClientHello(withHeader([0x17, 3, 3])).kind, 'application data').to.equal('invalid');
    expect(parseClientHello(withHeader([0x16, 2, 0])).kind, 'SSL 2').to.equal('invalid');
    expect(parseClientHello(withHeader([0x16, 3, 9])).kind, 'version 3.9').to.equal('invalid');
    const serverHello = Buffer.from(message);
    serverHello[0] = 2;
    expect(parseClientHello(inRecords(serverHello)).kind, 'a ServerHello').to.equal('invalid');
    expect(parseClientHello(Buffer.from([0x16, 3, 1, 0, 0])).kind, 'an empty record').to.equal('invalid');
    expect(parseClientHello(Buffer.from([0x16, 3, 1, 0x40, 0x01])).kind, 'a record over 2^14').to.equal('invalid');
    // Another record type between two fragments of the hello.
    const split = inRecords(message, 100);
    const interleaved = Buffer.concat([split.subarray(0, 105), Buffer.from([0x15, 3, 3, 0, 2, 1, 0]), split.subarray(105)]);
    expect(parseClientHello(interleaved).kind, 'interleaved alert').to.equal('invalid');
    // A second handshake message after the hello in its record.
    expect(parseClientHello(inRecords(Buffer.concat([message, Buffer.from([1, 0, 0, 0])]))).kind, 'data after the hello').to.equal('invalid');
    expect(parseClientHello(inRecords(helloMessage([sniExt(nameEntry('a.example'))], Buffer.from([0])))).kind, 'bytes after the extensions').to.equal('invalid');
  });

  it('bounds a huge hello: refused as soon as its declared length is over the limit, without waiting for it', () => {
    const padded = helloMessage([sniExt(nameEntry('a.example')), ext(21, Buffer.alloc(20_000))]);
    const records = inRecords(padded);
    expect(parseClientHello(records.subarray(0, 9)).kind, 'only the header in').to.equal('invalid');
    expect(parseClientHello(records).kind).to.equal('invalid');
    expect(named(parseClientHello(records, 32_768))).to.equal('a.example');
    // The longest length a handshake header can declare, with one byte of it sent.
    expect(parseClientHello(Buffer.from([0x16, 3, 1, 0x40, 0, 1, 0xff, 0xff, 0xff])).kind).to.equal('invalid');
  });

  it('never throws on corrupted or random input (every single-byte corruption of a real hello, 3000 random inputs)', () => {
    for (let i = 0; i < real.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const bad = Buffer.from(real);
        bad[i] = bad[i]! ^ flip;
        const v = parseClientHello(bad);
        expect(['partial', 'hello', 'invalid'], `byte ${i} ^ ${flip}`).to.include(v.kind);
        if (v.kind === 'hello' && v.name !== undefined) expect(v.name).to.match(/^[a-z0-9_.-]+$/u);
      }
    }
    const next = prng(0x2545f491);
    for (let i = 0; i < 3000; i++) {
      const len = 5 + (next() << 2);
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = next();
      bytes[0] = 0x16;
      bytes[1] = 3;
      bytes[2] = next() & 3;
      if (i % 2 === 0) {
        bytes.writeUInt16BE(len - 5, 3);
        bytes[5] = 1;
      }
      const v = parseClientHello(bytes);
      expect(['partial', 'hello', 'invalid']).to.include(v.kind);
    }
  });
});
