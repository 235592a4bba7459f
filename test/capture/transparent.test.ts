// The transparent egress listener on loopback, without netfilter: tests connect to it directly,
// as the capture rules would redirect an application's connection, and name a destination in
// the TLS SNI or the HTTP Host. The fake providers count every TCP connection and byte they
// receive, so a refused connection can be shown to have sent nothing.
import { expect } from 'chai';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { probeCapture } from '../../sidecar/capture/probe.ts';
import { PROBE_PREFIX } from '../../sidecar/capture/sniff.ts';
import { FakeProvider } from '../egress/support/fake-provider.ts';
import { testPkis } from '../egress/support/harness.ts';
import { eventually } from '../support/eventually.ts';
import { freePort } from '../support/net.ts';
import { addListener, declareDestinations, httpCall, nextRecord, rawCall, startCaptureHarness, tlsCall, type CaptureHarness } from './support/listener.ts';

const CHAT = JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'mail jane.doe@example.com' }] });

describe('capture: the transparent egress listener', function () {
  this.timeout(30_000);
  let c: CaptureHarness;
  let saas: FakeProvider;
  let saasUs: FakeProvider;
  let plain: http.Server;
  let plainHits = 0;

  before(async () => {
    c = await startCaptureHarness();
    const pkis = await testPkis();
    saas = await new FakeProvider(pkis.main).start();
    saasUs = await new FakeProvider(pkis.main).start();
    plain = http.createServer((req, res) => {
      plainHits++;
      res.end(`plain ${req.headers.host}`);
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    for (const name of ['api.saas.example', 'api.saas-us.example', 'plain.saas.example']) c.h.resolver.set(name, [{ address: '127.0.0.1', family: 4 }]);
  });
  after(async () => {
    await c.close();
    await Promise.all([saas.stop(), saasUs.stop(), new Promise<void>((resolve) => plain.close(() => resolve()))]);
  });
  beforeEach(async () => {
    for (const p of [c.h.openai, c.h.anthropic, c.h.us, saas, saasUs]) p.reset();
    plainHits = 0;
    c.h.audit.healthy = true;
    c.h.audit.entries.length = 0;
    await declareDestinations(c, [
      { host: 'api.saas.example', region: 'westeurope', port: saas.port, allowPrivateAddresses: true },
      { host: 'api.saas-us.example', region: 'eastus', port: saasUs.port, allowPrivateAddresses: true },
      { host: 'plain.saas.example', region: 'northeurope', port: (plain.address() as AddressInfo).port, allowPrivateAddresses: true },
    ]);
  });

  // The alert surfaces as ERR_SSL_TLSV1_ALERT_* or as EPROTO (when it arrives while writing); the message names it either way.
  const refusedTls = (err: unknown): string => (err instanceof Error ? err.message : 'no error: the connection was not refused');

  it('an allowed provider, named by SNI: passed through unread (no credential added) and recorded with bytes each way', async () => {
    const reply = await tlsCall(c, 'api.openai.example', `api.openai.example:${c.h.openai.port}`, '/v1/chat/completions', CHAT);
    expect(reply.status).to.equal(200);
    expect(reply.text).to.include('data: [DONE]');
    expect(c.h.openai.tcpConnections).to.equal(1);
    // Pass-through: the application's bytes as they were; the credential is the named route's job.
    expect(c.h.openai.received[0]!.headers.authorization).to.equal(undefined);
    expect(c.h.openai.received[0]!.body).to.include('jane.doe@example.com');
    const record = await nextRecord(c, 0);
    expect(record).to.deep.include({ kind: 'egress', decision: 'allow', method: 'TLS', tunnel: true, upstream: 'openai', destination: `api.openai.example:${c.h.openai.port}`, region: 'westeurope' });
    expect(record.principal.sub).to.equal('pod-under-test');
    expect(record.reason).to.include('captured TLS connection (SNI api.openai.example)');
    expect(record.bytesSent).to.be.greaterThan(CHAT.length);
    expect(record.bytesReceived).to.be.greaterThan(reply.text.length);
    expect(record.durationMs).to.be.a('number');
    expect(await c.h.metrics.registry.getSingleMetricAsString('mcp_residency_captured_connections_total')).to.include('decision="allow",protocol="tls"} 1');
  });

  it('a provider in a forbidden region: a TLS alert, recorded with the reason, and zero bytes at the provider', async () => {
    const err = await tlsCall(c, 'api.us.example', 'api.us.example', '/v1/chat/completions', CHAT).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusedTls(err)).to.include('alert access denied');
    expect(c.h.us.tcpConnections).to.equal(0);
    expect(c.h.us.tcpBytes).to.equal(0);
    const record = await nextRecord(c, 0);
    expect(record).to.deep.include({ decision: 'deny', method: 'TLS', upstream: 'azure-us', region: 'eastus', status: 403, bytesSent: 0, bytesReceived: 0 });
    expect(record.reason).to.include('eastus').and.to.include('allowedRegions [eu]');
  });

  it('a forged SNI (an allowed name on a connection meant for elsewhere) reaches only the named host', async () => {
    // The application dialled the forbidden provider's address; the listener never uses it.
    const reply = await tlsCall(c, 'api.openai.example', `api.us.example:${c.h.us.port}`, '/v1/chat/completions', CHAT);
    expect(reply.status).to.equal(200);
    expect(c.h.openai.tcpConnections).to.equal(1);
    expect(c.h.us.tcpConnections).to.equal(0);
    expect((await nextRecord(c, 0)).destination).to.equal(`api.openai.example:${c.h.openai.port}`);
  });

  it('a Host header naming a forbidden destination over plain HTTP: 403 naming it, nothing sent', async () => {
    const reply = await httpCall(c, `api.us.example:${c.h.us.port}`, '/v1/models');
    expect(reply.status).to.equal(403);
    expect(JSON.parse(reply.text).error).to.deep.include({ type: 'egress_denied', upstream: 'azure-us', region: 'eastus' });
    expect(c.h.us.tcpConnections).to.equal(0);
    expect((await nextRecord(c, 0)).method).to.equal('GET');
  });

  it('no name: raw TCP is reset, TLS without SNI gets an alert; both recorded', async () => {
    const raw = await rawCall(c.port, 'SSH-2.0-OpenSSH_9.6\r\n\r\n');
    expect(raw.error).to.equal('ECONNRESET');
    expect(raw.data.length).to.equal(0);
    const rawRecord = await nextRecord(c, 0);
    expect(rawRecord).to.deep.include({ decision: 'deny', method: 'TCP', bytesSent: 0 });
    expect(rawRecord.reason).to.include('names no destination');
    const err = await tlsCall(c, '', 'api.openai.example', '/v1/models').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusedTls(err)).to.include('alert access denied');
    expect((await nextRecord(c, 1)).reason).to.include('no server name');
    expect(c.h.openai.tcpConnections).to.equal(0);
  });

  it('a declared destination (egress.destinations) in an allowed region passes and is recorded; one outside is refused', async () => {
    const reply = await tlsCall(c, 'api.saas.example', 'api.saas.example', '/v1/text', 'hello saas');
    expect(reply.status).to.equal(200);
    expect(reply.text).to.equal('Echo: hello saas');
    const record = await nextRecord(c, 0);
    expect(record).to.deep.include({ decision: 'allow', destination: `api.saas.example:${saas.port}`, region: 'westeurope', tunnel: true });
    expect(record.upstream).to.equal(undefined);
    expect(record.reason).to.include('declared destination api.saas.example');

    const err = await tlsCall(c, 'api.saas-us.example', 'api.saas-us.example', '/v1/text', 'x').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusedTls(err)).to.include('alert access denied');
    expect(saasUs.tcpConnections).to.equal(0);
    expect((await nextRecord(c, 1)).reason).to.include('a declared destination').and.to.include('eastus');
  });

  it('plain HTTP to a declared destination passes on the port its Host names', async () => {
    const port = (plain.address() as AddressInfo).port;
    const reply = await httpCall(c, `plain.saas.example:${port}`, '/status');
    expect(reply).to.deep.equal({ status: 200, text: `plain plain.saas.example:${port}` });
    expect(await nextRecord(c, 0)).to.deep.include({ decision: 'allow', method: 'GET', destination: `plain.saas.example:${port}` });
    const wrongPort = await httpCall(c, 'plain.saas.example:1', '/status');
    expect(wrongPort.status).to.equal(403);
    expect(plainHits).to.equal(1);
  });

  it('an application that shuts down its sending side after the request still gets the answer', async () => {
    const port = (plain.address() as AddressInfo).port;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(c.port, '127.0.0.1');
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      socket.end(`GET /half HTTP/1.1\r\nHost: plain.saas.example:${port}\r\nConnection: close\r\n\r\n`);
    });
    expect(reply).to.match(/^HTTP\/1\.1 200 OK\r\n/u).and.to.include(`plain plain.saas.example:${port}`);
  });

  it('the SSRF rules of the egress gateway: a name resolving to a metadata or private address is refused', async () => {
    for (const name of ['metadata.example', 'internal.example']) {
      const err = await tlsCall(c, name, name, '/').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refusedTls(err)).to.include('alert access denied');
    }
    expect(c.h.audit.entries.map((e) => e.reason)).to.satisfy((reasons: string[]) => reasons[0]!.includes('169.254.169.254') && reasons[1]!.includes('10.0.0.1'));
    expect(c.h.openai.tcpConnections).to.equal(0);
  });

  it('egress.tunnels: deny refuses captured TLS to an upstream (it cannot be masked)', async () => {
    await declareDestinations(c, [], { tunnels: 'deny' });
    const err = await tlsCall(c, 'api.openai.example', 'api.openai.example', '/v1/models').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusedTls(err)).to.include('alert access denied');
    expect(c.h.openai.tcpConnections).to.equal(0);
    expect((await nextRecord(c, 0)).reason).to.include('egress.tunnels: deny');
  });

  it('fails closed: no policy, or an unhealthy audit log, refuses with nothing sent', async () => {
    c.h.policyState = { ok: false, reason: 'policy file missing' };
    const noPolicy = await tlsCall(c, 'api.openai.example', 'api.openai.example', '/v1/models').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusedTls(noPolicy)).to.include('alert access denied');
    expect((await nextRecord(c, 0)).reason).to.include('policy file missing');
    await declareDestinations(c, []);
    c.h.audit.healthy = false;
    const noAudit = await tlsCall(c, 'api.openai.example', 'api.openai.example', '/v1/models').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusedTls(noAudit)).to.include('alert internal error');
    expect(c.h.openai.tcpConnections).to.equal(0);
  });

  it('a CONNECT through the egress gateway reaches a declared destination too (one decision for both ways out)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: c.h.port, method: 'CONNECT', path: `api.saas.example:${saas.port}`, agent: false });
      req.on('connect', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).to.equal(200);
    const record = await nextRecord(c, 0);
    expect(record).to.deep.include({ method: 'CONNECT', decision: 'allow', destination: `api.saas.example:${saas.port}`, region: 'westeurope' });
  });

  it('IPv6: a listener on [::] judges a connection over ::1 the same way, and takes IPv4 too', async () => {
    const v6 = await addListener(c.h, '::');
    try {
      expect((await tlsCall(v6, 'api.openai.example', 'api.openai.example', '/v1/models')).status).to.equal(404);
      const err = await tlsCall(v6, 'api.us.example', 'api.us.example', '/v1/models').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refusedTls(err)).to.include('alert access denied');
      expect(c.h.us.tcpConnections).to.equal(0);
      expect((await tlsCall({ ...v6, host: '127.0.0.1' }, 'api.openai.example', 'api.openai.example', '/v1/models')).status).to.equal(404);
      expect(c.h.openai.tcpConnections).to.equal(2);
    } finally {
      await v6.close();
    }
  });

  it('garbage and cut-off hellos are refused and recorded, one by one, and the listener keeps serving', async () => {
    let x = 0x9e3779b9;
    const next = (): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) & 0xff;
    };
    const inputs: Buffer[] = [];
    for (let i = 0; i < 30; i++) {
      const b = Buffer.alloc(1 + (next() << 3));
      for (let j = 0; j < b.length; j++) b[j] = next();
      // Half of them start like a TLS handshake record, so they get past the first byte.
      if (i % 2 === 0) b.set([0x16, 3, 1], 0);
      inputs.push(b);
    }
    for (const input of inputs) {
      // Each is sent whole and the sending side closed: a cut-off hello must not wait for the timeout.
      await new Promise<void>((resolve) => {
        const socket = net.connect(c.port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
        socket.end(input);
      });
    }
    await eventually('every connection recorded', () => (c.h.audit.entries.length >= inputs.length ? true : undefined));
    expect(c.h.audit.entries.map((e) => e.decision)).to.deep.equal(inputs.map(() => 'deny'));
    expect(c.h.audit.entries.every((e) => e.bytesSent === 0)).to.equal(true);
    expect(c.h.openai.tcpConnections + c.h.us.tcpConnections + c.h.anthropic.tcpConnections).to.equal(0);
    expect((await tlsCall(c, 'api.openai.example', 'api.openai.example', '/v1/models')).status).to.equal(404);
  });

  it('a connection still open when the listener closes is cut, and its record is written before close() returns', async () => {
    const extra = await addListener(c.h, '127.0.0.1');
    const agent = new https.Agent({ keepAlive: true });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: extra.port, servername: 'api.openai.example', ca: c.h.pki.caPem, agent, path: '/v1/models', headers: { host: 'api.openai.example' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).to.equal(404);
      expect(c.h.audit.entries).to.have.length(0);
      await extra.close();
      expect(c.h.audit.entries).to.have.length(1);
      expect(c.h.audit.entries[0]!.decision).to.equal('allow');
      expect(c.h.audit.entries[0]!.bytesReceived).to.be.greaterThan(0);
    } finally {
      agent.destroy();
      await extra.close();
    }
  });

  describe('the capture probe', () => {
    it('is answered when the probe reaches the listener (as the rules redirect it), not when nothing is there', async () => {
      expect(await probeCapture(c.listener, { host: '127.0.0.1', port: c.port })).to.deep.equal({ ok: true });
      const closed = await freePort();
      const state = await probeCapture(c.listener, { host: '127.0.0.1', port: closed });
      expect(state.ok).to.equal(false);
      expect(state.reason).to.include('capture not in place').and.to.include('ECONNREFUSED');
      // The sidecar's own probe is not traffic leaving the pod: it leaves no record.
      expect(c.h.audit.entries).to.have.length(0);
    });

    it('a probe line with a nonce the sidecar did not issue is refused and recorded', async () => {
      const forged = await rawCall(c.port, `${PROBE_PREFIX}${'ab'.repeat(16)}\n`);
      expect(forged.error).to.equal('ECONNRESET');
      expect((await nextRecord(c, 0)).reason).to.include('nonce this sidecar did not issue');
    });
  });
});
