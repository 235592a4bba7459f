// What the first bytes of a captured connection name: the HTTP/1 Host (strictly: one Host,
// agreeing with an absolute target, no smuggling shapes), the capture probe, or nothing.
import { expect } from 'chai';
import { PROBE_PREFIX, sniff } from '../../sidecar/capture/sniff.ts';

const MAX = 16 * 1024;
const s = (text: string): ReturnType<typeof sniff> => sniff(Buffer.from(text, 'latin1'), MAX);

describe('capture: naming the destination from the first bytes (sniff.ts, http-host.ts)', () => {
  it('reads the Host of an HTTP/1 request, with or without a port, lower-cased, IPv6 unbracketed', () => {
    expect(s('GET /v1/models HTTP/1.1\r\nHost: API.Example.com\r\nAccept: */*\r\n\r\n')).to.deep.equal({ kind: 'http', method: 'GET', host: 'api.example.com', port: undefined });
    expect(s('POST /x HTTP/1.1\r\nhost:api.example.com:8080\r\n\r\nbody')).to.deep.equal({ kind: 'http', method: 'POST', host: 'api.example.com', port: 8080 });
    expect(s('GET / HTTP/1.1\r\nHost: [2001:db8::1]:81\r\n\r\n')).to.deep.equal({ kind: 'http', method: 'GET', host: '2001:db8::1', port: 81 });
    expect(s('GET http://api.example.com/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n')).to.deep.include({ kind: 'http', host: 'api.example.com' });
  });

  it('waits for the end of the head, within the limit', () => {
    expect(s('GET /v1/models HTTP/1.1\r\nHost: api.exa')).to.deep.equal({ kind: 'partial' });
    expect(s('G')).to.deep.equal({ kind: 'partial' });
    expect(sniff(Buffer.from(`GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX)}`), MAX)).to.deep.include({ kind: 'unnamed' });
  });

  it('refuses heads that name no host, or two, or that parsers could read differently', () => {
    const refused: Array<[string, string]> = [
      ['no Host (HTTP/1.0)', 'GET / HTTP/1.0\r\n\r\n'],
      ['two Hosts', 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n'],
      ['target and Host disagree', 'GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n'],
      ['space before the colon', 'GET / HTTP/1.1\r\nHost : a.example\r\n\r\n'],
      ['a folded header', 'GET / HTTP/1.1\r\nHost: a.example\r\n b\r\n\r\n'],
      ['CONNECT', 'CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n'],
      ['HTTP/2 prior knowledge', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
      ['a Host with userinfo', 'GET / HTTP/1.1\r\nHost: user@a.example\r\n\r\n'],
      ['a port out of range', 'GET / HTTP/1.1\r\nHost: a.example:70000\r\n\r\n'],
      ['an empty Host', 'GET / HTTP/1.1\r\nHost:\r\n\r\n'],
      ['raw bytes', 'SSH-2.0-OpenSSH_9.6\r\n'],
      ['a lower-case method', 'get / HTTP/1.1\r\nHost: a.example\r\n\r\n'],
    ];
    for (const [what, text] of refused) expect(s(text).kind, what).to.equal('unnamed');
  });

  it('recognises the capture probe line, and nothing that only looks like it', () => {
    const nonce = '0123456789abcdef0123456789abcdef';
    expect(s(`${PROBE_PREFIX}${nonce}\n`)).to.deep.equal({ kind: 'probe', nonce });
    expect(s(`${PROBE_PREFIX}${nonce.slice(0, 10)}`)).to.deep.equal({ kind: 'partial' });
    expect(s(`${PROBE_PREFIX}${nonce}\nmore`).kind).to.equal('unnamed');
    expect(s(`${PROBE_PREFIX}${'Z'.repeat(32)}\n`).kind).to.equal('unnamed');
  });
});
