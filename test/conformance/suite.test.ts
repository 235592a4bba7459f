// The official MCP conformance suite, every server scenario (2025-11-25 and 2026-07-28, and the
// extensions it ships), run twice against our own conformance server: once directly and once
// through the sidecar with a permissive policy and masking on. The sidecar must be invisible:
// each scenario must end with the same checks and the same statuses both ways. A suite update
// that adds a scenario adds a test here (the list comes from the installed suite).
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { outcome, runServerSuite, serverScenarios, summary, type ConformanceCheck } from '../support/conformance.ts';
import { startConformanceServer, type RunningConformanceServer } from '../support/conformance-server.ts';
import { runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const PERMISSIVE = `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: conformance }
spec:
  authentication: { mode: none }
  tools: { default: allow }
  masking: { mode: redact }
`;

describe('MCP conformance suite: direct and through the sidecar', function () {
  this.timeout(900_000);
  const scenarios = serverScenarios();
  let server: RunningConformanceServer;
  let sut: SidecarUnderTest;
  let direct: Map<string, ConformanceCheck[]>;
  let proxied: Map<string, ConformanceCheck[]>;

  before(async () => {
    server = await startConformanceServer();
    sut = await runSidecar({ upstream: server.origin, policy: PERMISSIVE });
    await waitReady(sut.sidecar);
    direct = await runServerSuite(server.url);
    proxied = await runServerSuite(`${sut.sidecar.urls.mcp}/mcp`);
  });
  after(async () => {
    // CONFORMANCE_TABLE=FILE writes the per-scenario table (for release notes and issue reports).
    const file = process.env.CONFORMANCE_TABLE;
    if (file !== undefined && direct !== undefined && proxied !== undefined) {
      const rows = scenarios.map((s) => `| ${s} | ${summary(direct.get(s))} | ${summary(proxied.get(s))} |`);
      await writeFile(file, ['| scenario | direct | through the sidecar |', '|---|---|---|', ...rows, ''].join('\n'));
    }
    await sut?.close();
    await server?.close();
  });

  it('knows the server scenarios of the pinned suite, the 2026-07-28 ones among them', () => {
    expect(scenarios).to.include.members(['server-initialize', 'tools-call-with-progress', 'server-stateless', 'caching', 'http-header-validation', 'http-custom-header-server-validation']);
    expect(scenarios.filter((s) => s.startsWith('input-required-result-'))).to.have.length.greaterThan(10);
    expect([...direct.keys()]).to.have.members(scenarios);
  });

  for (const scenario of scenarios) {
    it(`${scenario}: the same checks and statuses through the sidecar as directly`, () => {
      expect(outcome(proxied.get(scenario)), `${scenario} through the sidecar`).to.deep.equal(outcome(direct.get(scenario)));
    });
  }
});
