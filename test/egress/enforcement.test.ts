// What the egress gateway refuses, and proof that a refused call sent nothing: the fake
// providers count every TCP connection and byte they receive.
import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { request, startHarness, type Harness } from './support/harness.ts';

const CHAT = { model: 'gpt-4o', messages: [{ role: 'user', content: 'mail jane.doe@example.com' }] };

/** Raw bytes to the gateway; resolves with everything it answered before closing. */
function raw(h: Harness, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(h.port, '127.0.0.1');
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.setTimeout(3_000, () => socket.destroy());
    socket.end(bytes);
  });
}

/** CONNECT through the gateway; resolves with the status and, on 200, the tunnel socket. */
function connect(h: Harness, authority: string): Promise<{ status: number; body: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: h.port, method: 'CONNECT', path: authority, agent: false });
    req.on('connect', (res, socket, head) => {
      let body = head.toString('utf8');
      if (res.statusCode !== 200) {
        socket.on('data', (d: Buffer) => (body += d.toString('utf8')));
        socket.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket }));
        socket.on('close', () => resolve({ status: res.statusCode ?? 0, body, socket }));
        return;
      }
      resolve({ status: 200, body, socket });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('egress gateway: what it refuses', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());
  beforeEach(() => {
    for (const p of [h.openai, h.anthropic, h.us]) p.reset();
    h.audit.healthy = true;
    h.audit.failAppend = false;
  });

  describe('regions', () => {
    it('an upstream outside allowedRegions: 403 naming destination, region and allowed regions; zero bytes sent', async () => {
      const res = await request(h, 'POST', '/azure-us/v1/chat/completions', CHAT);
      expect(res.status).to.equal(403);
      const error = res.json().error as Record<string, unknown>;
      expect(error).to.deep.include({ type: 'egress_denied', destination: `api.us.example:${h.us.port}`, upstream: 'azure-us', region: 'eastus', allowedRegions: ['eu'] });
      expect(error.message).to.include('eastus').and.to.include('allowedRegions [eu]');
      expect(h.us.tcpConnections).to.equal(0);
      expect(h.us.tcpBytes).to.equal(0);
      expect(h.audit.last()).to.deep.include({ kind: 'egress', decision: 'deny', upstream: 'azure-us', region: 'eastus', status: 403, tunnel: false });
    });

    it('a geography allows its regions: swedencentral is in eu', async () => {
      const res = await request(h, 'POST', '/anthropic/v1/messages', { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).to.equal(200);
    });

    it('an unknown named route and an unknown proxy host: 403, region unknown', async () => {
      const named = await request(h, 'GET', '/nope/v1/models');
      expect(named.status).to.equal(403);
      expect(named.json().error).to.deep.include({ destination: '/nope', region: 'unknown', allowedRegions: ['eu'] });
      const proxied = await request(h, 'GET', 'http://example.com/v1/models');
      expect(proxied.status).to.equal(403);
      expect(proxied.json().error).to.deep.include({ destination: 'example.com', region: 'unknown' });
      const provider = await request(h, 'GET', 'http://api.openai.com/v1/models');
      expect(provider.json().error).to.deep.include({ destination: 'api.openai.com', region: 'openai-global' });
    });
  });

  describe('server-side request forgery', () => {
    it('a host resolving to the cloud metadata address is refused, even with allowPrivateAddresses', async () => {
      const res = await request(h, 'POST', '/metadata/latest/meta-data/', CHAT);
      expect(res.status).to.equal(403);
      expect((res.json().error as { message: string }).message).to.include('169.254.169.254 is a cloud metadata endpoint');
      expect(h.openai.tcpConnections).to.equal(0);
      expect(h.audit.last()).to.deep.include({ decision: 'deny', upstream: 'metadata', status: 403 });
    });

    it('a host resolving to a private address is refused without allowPrivateAddresses', async () => {
      const res = await request(h, 'POST', '/internal/v1/chat/completions', CHAT);
      expect(res.status).to.equal(403);
      expect((res.json().error as { message: string }).message).to.include('10.0.0.1 is a private address').and.to.include('allowPrivateAddresses');
    });

    it('every address is checked: one internal answer among public ones refuses the name', async () => {
      const res = await request(h, 'POST', '/rebind/v1/chat/completions', CHAT);
      expect(res.status).to.equal(403);
      expect((res.json().error as { message: string }).message).to.include('127.0.0.1 is a loopback address');
      expect(h.openai.tcpConnections).to.equal(0);
    });

    it('the connection goes to the checked address: one lookup per request, never a second one at connect time', async () => {
      // api.openai.example exists only in the test resolver; the system resolver cannot find it.
      // Reaching the fake at all shows the connection went to the checked address, not the name.
      const local = h.resolver.get('api.openai.example')!;
      const original = h.resolver.get.bind(h.resolver);
      let lookups = 0;
      h.resolver.get = (host: string) => {
        if (host !== 'api.openai.example') return original(host);
        lookups++;
        // A rebinding resolver: harmless first, the metadata address afterwards.
        return lookups === 1 ? local : [{ address: '169.254.169.254', family: 4 }];
      };
      try {
        const res = await request(h, 'POST', '/openai/v1/chat/completions', CHAT);
        expect(res.status).to.equal(200);
        expect(lookups).to.equal(1);
        expect(h.openai.received).to.have.length(1);
        const again = await request(h, 'POST', '/openai/v1/chat/completions', CHAT);
        expect(again.status).to.equal(403);
        expect(lookups).to.equal(2);
        expect(h.openai.received).to.have.length(1);
      } finally {
        h.resolver.get = original;
      }
    });

    it('a name that does not resolve: 502, recorded as an error', async () => {
      h.resolver.delete('api.openai.example');
      try {
        const res = await request(h, 'POST', '/openai/v1/chat/completions', CHAT);
        expect(res.status).to.equal(502);
        expect((res.json().error as { message: string }).message).to.include('ENOTFOUND');
        expect(h.audit.last()).to.deep.include({ decision: 'error', status: 502 });
      } finally {
        h.resolver.set('api.openai.example', [{ address: '127.0.0.1', family: 4 }]);
      }
    });
  });

  describe('CONNECT tunnels', () => {
    it('to an allowed upstream: established, recorded as an unmasked tunnel, TLS verified end to end by the app', async () => {
      const t = await connect(h, `api.openai.example:${h.openai.port}`);
      expect(t.status).to.equal(200);
      const secure = tls.connect({ socket: t.socket, servername: 'api.openai.example', ca: h.pki.caPem });
      await new Promise<void>((resolve, reject) => {
        secure.once('secureConnect', resolve);
        secure.once('error', reject);
      });
      const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      secure.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      let answer = '';
      secure.on('data', (d: Buffer) => (answer += d.toString('utf8')));
      await new Promise((resolve) => secure.on('close', resolve));
      expect(answer).to.match(/^HTTP\/1\.1 200/u);
      expect(answer).to.include('Echo: hi');
      const entry = h.audit.entries.find((e) => e.method === 'CONNECT')!;
      expect(entry).to.deep.include({ decision: 'allow', tunnel: true, upstream: 'openai', region: 'westeurope', status: 200, destination: `api.openai.example:${h.openai.port}` });
      expect(entry.reason).to.include('not masked');
    });

    it('to a disallowed region or an unknown host: 403 JSON, zero bytes sent', async () => {
      const us = await connect(h, `api.us.example:${h.us.port}`);
      expect(us.status).to.equal(403);
      expect(JSON.parse(us.body).error).to.deep.include({ region: 'eastus', upstream: 'azure-us', allowedRegions: ['eu'] });
      expect(h.us.tcpConnections).to.equal(0);
      const other = await connect(h, 'example.com:443');
      expect(other.status).to.equal(403);
      expect(JSON.parse(other.body).error).to.deep.include({ destination: 'example.com:443', region: 'unknown' });
      expect(h.audit.last()).to.deep.include({ method: 'CONNECT', decision: 'deny', tunnel: true });
    });

    it('to a host resolving to the metadata address: refused', async () => {
      const t = await connect(h, `metadata.example:${h.openai.port}`);
      expect(t.status).to.equal(403);
      expect(h.openai.tcpConnections).to.equal(0);
    });
  });

  describe('request smuggling', () => {
    const smuggled = 'GET /openai/v1/models HTTP/1.1\r\nHost: x\r\n\r\n';
    const attempts: Record<string, string> = {
      'Content-Length and Transfer-Encoding': `POST /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      'two different Content-Lengths': `POST /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}${smuggled}`,
      'two equal Content-Lengths': `POST /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}${smuggled}`,
      'an obfuscated Transfer-Encoding': `POST /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Length: 2\r\n\r\n{}${smuggled}`,
      'Transfer-Encoding with a space before the colon': `POST /openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 2\r\n\r\n{}${smuggled}`,
    };
    for (const [name, bytes] of Object.entries(attempts)) {
      it(`${name}: 400, connection closed, nothing reaches the upstream`, async () => {
        const answer = await raw(h, bytes);
        expect(answer).to.match(/^HTTP\/1\.1 400/u);
        expect(answer.match(/HTTP\/1\.1 /gu)).to.have.length(1);
        expect(h.openai.tcpConnections).to.equal(0);
      });
    }
  });

  describe('fail closed', () => {
    it('audit log unhealthy: 503 and nothing sent', async () => {
      h.audit.healthy = false;
      const res = await request(h, 'POST', '/openai/v1/chat/completions', CHAT);
      expect(res.status).to.equal(503);
      expect((res.json().error as { type: string }).type).to.equal('audit_unavailable');
      expect(h.openai.tcpConnections).to.equal(0);
      const t = await connect(h, `api.openai.example:${h.openai.port}`);
      expect(t.status).to.equal(503);
      expect(h.openai.tcpConnections).to.equal(0);
    });

    it('audit record not durable: the answer is withheld', async () => {
      h.audit.failAppend = true;
      const res = await request(h, 'POST', '/openai/v1/chat/completions', CHAT);
      expect(res.status).to.equal(503);
      expect(res.text).not.to.include('Echo');
      const t = await connect(h, `api.openai.example:${h.openai.port}`);
      expect(t.status).to.equal(503);
    });

    it('no policy loaded: 503 for requests and tunnels, nothing sent', async () => {
      const saved = h.policyState;
      h.policyState = { ok: false, reason: 'policy file unreadable' };
      try {
        const res = await request(h, 'POST', '/openai/v1/chat/completions', CHAT);
        expect(res.status).to.equal(503);
        expect((res.json().error as { message: string }).message).to.include('policy file unreadable');
        const t = await connect(h, `api.openai.example:${h.openai.port}`);
        expect(t.status).to.equal(503);
        expect(h.openai.tcpConnections).to.equal(0);
      } finally {
        h.policyState = saved;
      }
    });
  });
});

describe('egress gateway: tunnels: deny', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ tunnels: 'deny' });
  });
  after(async () => h.close());

  it('refuses CONNECT to an allowed upstream, naming the route to use instead', async () => {
    const t = await connect(h, `api.openai.example:${h.openai.port}`);
    expect(t.status).to.equal(403);
    const error = JSON.parse(t.body).error as Record<string, unknown>;
    expect(error).to.deep.include({ type: 'tunnel_denied', upstream: 'openai', route: `http://127.0.0.1:${h.port}/openai/` });
    expect(error.message).to.include('cannot be masked');
    expect(h.openai.tcpConnections).to.equal(0);
    const res = await request(h, 'POST', '/openai/v1/chat/completions', CHAT);
    expect(res.status).to.equal(200);
  });
});
