// The assembled sidecar with the transparent listener: /readyz says whether capture is in
// place when it is expected (--capture), and says nothing about it when it is not. The probe
// target stands in for the capture rules: pointed at the listener itself, the probe arrives as
// the rules would redirect it; pointed at a closed port, it fails as without the rules.
import { expect } from 'chai';
import net from 'node:net';
import { CaptureMonitor } from '../../sidecar/capture/probe.ts';
import { eventually } from '../support/eventually.ts';
import { startCaptureHarness, type CaptureHarness } from './support/listener.ts';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { freePort } from '../support/net.ts';
import { runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const policy = `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: captured }
spec:
  authentication: { mode: none }
  egress: { allowedRegions: [eu] }
`;

async function readyz(sut: SidecarUnderTest): Promise<{ status: number; body: { ready: boolean; checks: Record<string, { ok: boolean; reason?: string }> } }> {
  const res = await fetch(`${sut.sidecar.urls.admin}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, { ok: boolean; reason?: string }> } };
}

describe('capture: readiness of the assembled sidecar', function () {
  this.timeout(30_000);
  let server: RunningSampleServer;
  const running: SidecarUnderTest[] = [];
  before(async () => {
    server = await startSampleServer('stateless');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });
  after(async () => server.close());

  it('standalone, capture not expected: ready, no capture check, the listener still serves', async () => {
    const sut = await runSidecar({ upstream: server.origin, policy, transparentListen: { host: '127.0.0.1', port: 0 } });
    running.push(sut);
    await waitReady(sut.sidecar);
    const r = await readyz(sut);
    expect(r.status).to.equal(200);
    expect(r.body.checks).to.not.have.property('capture');
    expect(sut.sidecar.urls.transparent).to.match(/^tcp:\/\/127\.0\.0\.1:\d+$/u);
  });

  it('capture expected and the probe redirected to the listener: ready, capture_in_place 1', async () => {
    const port = await freePort();
    const sut = await runSidecar({
      upstream: server.origin,
      policy,
      transparentListen: { host: '127.0.0.1', port },
      capture: { probeTarget: { host: '127.0.0.1', port } },
    });
    running.push(sut);
    await waitReady(sut.sidecar);
    expect((await readyz(sut)).body.checks.capture).to.deep.equal({ ok: true });
    expect(await sut.sidecar.metrics.registry.getSingleMetricAsString('mcp_residency_capture_in_place')).to.match(/mcp_residency_capture_in_place 1$/mu);
  });

  it('capture expected but not in place: /readyz fails and says why, capture_in_place 0', async () => {
    const closed = await freePort();
    const sut = await runSidecar({ upstream: server.origin, policy, transparentListen: { host: '127.0.0.1', port: 0 }, capture: { probeTarget: { host: '127.0.0.1', port: closed } } });
    running.push(sut);
    const r = await readyz(sut);
    expect(r.status).to.equal(503);
    expect(r.body.checks.capture!.ok).to.equal(false);
    expect(r.body.checks.capture!.reason).to.include('capture not in place').and.to.include('mcp-residency capture apply');
    expect(await sut.sidecar.metrics.registry.getSingleMetricAsString('mcp_residency_capture_in_place')).to.match(/mcp_residency_capture_in_place 0$/mu);
  });
});

describe('capture: the probe is re-checked', function () {
  this.timeout(30_000);
  let c: CaptureHarness;
  before(async () => {
    c = await startCaptureHarness();
  });
  after(async () => c.close());

  it('notices rules that appear after the start and rules that go away later', async () => {
    // A relay on a port standing in for the capture rules: up, it redirects the probe to the listener.
    const port = await freePort();
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((s) => {
      const to = net.connect(c.port, '127.0.0.1');
      for (const x of [s, to]) {
        sockets.add(x);
        x.on('error', () => x.destroy());
      }
      s.pipe(to).pipe(s);
    });
    const results: boolean[] = [];
    const monitor = new CaptureMonitor({ listener: c.listener, logger: c.h.logger, target: { host: '127.0.0.1', port }, intervalMs: 50, onResult: (ok) => results.push(ok) });
    try {
      await monitor.start();
      expect(monitor.health().ok).to.equal(false);
      await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
      await eventually('capture seen in place', () => (monitor.health().ok ? true : undefined), 10_000);
      await new Promise<void>((resolve) => {
        relay.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await eventually('capture seen gone', () => (monitor.health().ok ? undefined : true), 10_000);
      expect(monitor.health().reason).to.include('capture not in place');
      expect(results[0]).to.equal(false);
      expect(results).to.include(true);
    } finally {
      monitor.stop();
      relay.close();
    }
  });
});
