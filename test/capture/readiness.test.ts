// The assembled sidecar with the transparent listener: /readyz says whether capture is in
// place when it is expected (--capture), and says nothing about it when it is not. The probe
// target stands in for the capture rules: pointed at the listener itself, the probe arrives as
// the rules would redirect it; pointed at a closed port, it fails as without the rules.
import { expect } from 'chai';
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
