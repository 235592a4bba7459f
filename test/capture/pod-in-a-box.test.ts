// A pod in a box: the real sidecar (UID 65532) and an MCP server (UID 1000) in a pod network
// namespace whose rules come from the init container command `inject` prints, a node namespace
// beside it with an HTTPS OIDC issuer (test CA) reached by a name the pod's hosts file
// resolves, and agents and kubelet-style probes coming from the node. Needs root (netns, veth).
import { expect } from 'chai';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Pod } from '../../kube/core.ts';
import { helperPath } from '../../sidecar/capture/executor.ts';
import { createTestPki } from '../egress/support/pki.ts';
import { goldenDir } from '../operator/support.ts';
import { cliEntry, runCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { PodBox, requireNetns } from '../support/netns.ts';

const SIDECAR = 65532;
const APP = 1000;
const MCP_PORT = 8080;
const ISSUER_NAME = 'login.box.test';
const APP_SCRIPT = join(import.meta.dirname, 'box', 'app.ts');
const NODE_SCRIPT = join(import.meta.dirname, 'box', 'node.ts');

/** The pod as `inject` makes it: the init container's arguments and the sidecar's app probes. */
async function injected(): Promise<{ initArgs: string[]; appProbes: string }> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'mcp', namespace: 'agents', annotations: { 'mcpresidency.io/policy': 'eu-crm' } },
    spec: { containers: [{ name: 'server', image: 'mcp:1', ports: [{ containerPort: MCP_PORT }], readinessProbe: { httpGet: { path: '/healthz', port: MCP_PORT } } }] },
  };
  const r = await runCli(['inject', '-f', '-', '--policy', join(goldenDir, 'policy.yaml')], { input: stringify(pod) });
  expect(r.code, r.stderr).to.equal(0);
  const out = parse(r.stdout) as Pod;
  const init = out.spec.initContainers!.find((c) => c.name === 'mcp-residency-init')!;
  const sidecar = out.spec.initContainers!.find((c) => c.name === 'mcp-residency-proxy')!;
  expect(out.spec.containers[0]!.readinessProbe!.httpGet).to.deep.equal({ path: '/app-health/server/readyz', port: 15090, scheme: 'HTTP' });
  return { initArgs: init.args!, appProbes: sidecar.env!.find((e) => e.name === 'MCP_RESIDENCY_APP_PROBES')!.value! };
}

describe('a pod in a box: the sidecar behind the capture rules (root, netns)', function () {
  this.timeout(120_000);
  let box: PodBox;
  let dir: string;
  let token: string;
  let mcpUrl: string;

  const fromNode = async (args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await box.exec(box.node, [process.execPath, NODE_SCRIPT, ...args]);
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  };

  before(async () => {
    await requireNetns();
    if (!existsSync(helperPath())) throw new Error(`the capture helper ${helperPath()} is missing: run 'make build' first (needs Go)`);
    box = new PodBox();
    dir = mkdtempSync(join(tmpdir(), 'mcp-residency-box-'));
    chmodSync(dir, 0o755);
    await box.create();
    mcpUrl = `http://${box.podV4}:${MCP_PORT}/mcp`;

    const pki = await createTestPki([ISSUER_NAME], 'box test CA');
    writeFileSync(join(dir, 'ca.pem'), pki.caPem, { mode: 0o644 });
    writeFileSync(join(dir, 'cert.pem'), pki.certPem);
    writeFileSync(join(dir, 'key.pem'), pki.keyPem);
    box.etc(box.pod, { hosts: `127.0.0.1 localhost\n::1 localhost\n${box.nodeV4} ${ISSUER_NAME}\n`, 'resolv.conf': `nameserver ${box.nodeV4}\n` });

    const issuer = await box.spawn(box.node, [process.execPath, NODE_SCRIPT, 'issuer', box.nodeV4, '8443', ISSUER_NAME, join(dir, 'cert.pem'), join(dir, 'key.pem'), mcpUrl]);
    const issued = JSON.parse(issuer.lines[0]!) as { issuer: string; token: string };
    token = issued.token;

    const { initArgs, appProbes } = await injected();
    const applied = await box.cli(box.pod, initArgs);
    expect(applied.code, applied.stderr).to.equal(0);

    await box.spawn(box.pod, [process.execPath, APP_SCRIPT, String(MCP_PORT)], { uid: APP });

    const auditDir = join(dir, 'audit');
    mkdirSync(auditDir);
    chownSync(auditDir, SIDECAR, SIDECAR);
    const policy = join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      stringify({
        apiVersion: 'mcpresidency.io/v1alpha1',
        kind: 'MCPResidencyPolicy',
        metadata: { name: 'box' },
        spec: { authentication: { mode: 'oidc', issuer: issued.issuer, audiences: [mcpUrl], requiredScopes: ['mcp:tools'] }, masking: { mode: 'redact' }, egress: { allowedRegions: ['westeurope'] } },
      }),
      { mode: 0o644 },
    );
    await box.spawn(box.pod, [process.execPath, cliEntry, 'sidecar', '--policy', policy, '--upstream', `http://127.0.0.1:${MCP_PORT}`, '--audit-dir', auditDir], {
      uid: SIDECAR,
      env: { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), MCP_RESIDENCY_APP_PROBES: appProbes },
      readyOnStderr: (line) => line.includes('"sidecar started"'),
    });
  });

  after(async () => {
    await box?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the sidecar's own egress (the OIDC issuer beyond the node) is not captured: it gets ready", async () => {
    const ready = await eventually('the sidecar ready (issuer keys fetched through the capture rules)', async () => {
      const r = await fromNode(['get', `http://${box.podV4}:15090/readyz`]);
      return r.status === 200 ? r : undefined;
    }, 30_000, 200);
    expect(JSON.parse(ready.body as string)).to.deep.include({ ready: true });
    // The app's connection to the same issuer is captured (the egress listener is not running here).
    expect(await box.connect(box.pod, APP, box.nodeV4, 8443)).to.equal('error:ECONNREFUSED');
  });

  it("from the node, podIP:<app port> without a token gets the sidecar's 401", async () => {
    const r = await fromNode(['unauthenticated', mcpUrl]);
    expect(r.status).to.equal(401);
    expect(r.wwwAuthenticate).to.match(/^Bearer resource_metadata="/u);
  });

  it('from the node, podIP:<app port> with a token gets a masked result', async () => {
    const r = await fromNode(['agent', mcpUrl, token]);
    expect(r.text).to.include('[EMAIL]');
    expect(r.text).to.not.include('jane.doe@example.com');
  });

  it("a kubelet-style probe reaches the app through the admin port, and only the probe's path", async () => {
    expect(await fromNode(['get', `http://${box.podV4}:15090/app-health/server/readyz`])).to.deep.equal({ status: 200, body: 'app probe: 200\n' });
    // The original probe target now meets the gateway, not the app: why the injector rewrites it.
    const direct = await fromNode(['get', `http://${box.podV4}:${MCP_PORT}/healthz`]);
    expect(direct.body).to.not.equal('app ok\n');
  });
});
