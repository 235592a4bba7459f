// A pod in a box: the real sidecar (UID 65532) and an MCP server (UID 1000) in a pod network
// namespace whose rules come from the init container command `inject` prints; a node namespace
// beside it with an HTTPS OIDC issuer (test CA), where agents and kubelet-style probes come
// from; and "the internet" behind the node, with fake LLM providers serving TLS from the test
// CA, each on an address of its own, reached by names the pod's hosts file resolves. The
// providers count every TCP connection and byte, so a refusal is shown to send nothing. Needs
// root (netns, veth).
import { expect } from 'chai';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Pod } from '../../kube/core.ts';
import { readAuditRecords } from '../../sidecar/audit/layout.ts';
import type { AuditRecord } from '../../sidecar/audit/record.ts';
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
const WORLD_SCRIPT = join(import.meta.dirname, 'box', 'world.ts');
const CHAT = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello from the pod' }] });

type Stats = Record<'eu' | 'us' | 'eu6', { connections: number; bytes: number; requests: string[] }>;

/** The pod as `inject` makes it: the init container's arguments and the sidecar's app probes. */
async function injected(): Promise<{ initArgs: string[]; appProbes: string; sidecarArgs: string[] }> {
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
  return { initArgs: init.args!, appProbes: sidecar.env!.find((e) => e.name === 'MCP_RESIDENCY_APP_PROBES')!.value!, sidecarArgs: sidecar.args! };
}

describe('a pod in a box: the sidecar behind the capture rules (root, netns)', function () {
  this.timeout(120_000);
  let box: PodBox;
  let dir: string;
  let token: string;
  let mcpUrl: string;
  let auditDir: string;

  const fromNode = async (args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await box.exec(box.node, [process.execPath, NODE_SCRIPT, ...args]);
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  };
  /** A call by the app (UID 1000) inside the pod: plain Node, no proxy variables, trusting the test CA. */
  const fromApp = async (args: string[]): Promise<{ status?: number; text?: string; error?: string }> => {
    const argv = ['setpriv', `--reuid=${APP}`, `--regid=${APP}`, '--clear-groups', process.execPath, NODE_SCRIPT, ...args];
    const { stdout } = await box.exec(box.pod, argv, undefined, { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { status?: number; text?: string; error?: string };
  };
  const stats = async (path = 'stats'): Promise<Stats> => JSON.parse((await fromNode(['get', `http://${box.worldA}:8000/${path}`])).body as string) as Stats;
  /** The audit records the sidecar wrote (flushed before a connection's record is complete). */
  const records = async (): Promise<AuditRecord[]> => readAuditRecords(auditDir);
  const recordFor = (what: string, match: (r: AuditRecord) => boolean): Promise<AuditRecord> =>
    eventually(what, async () => (await records()).find(match), 10_000, 100);

  before(async () => {
    await requireNetns();
    if (!existsSync(helperPath())) throw new Error(`the capture helper ${helperPath()} is missing: run 'make build' first (needs Go)`);
    box = new PodBox();
    dir = mkdtempSync(join(tmpdir(), 'mcp-residency-box-'));
    chmodSync(dir, 0o755);
    await box.create();
    await box.addWorld();
    mcpUrl = `http://${box.podV4}:${MCP_PORT}/mcp`;

    const pki = await createTestPki([ISSUER_NAME, 'api.openai.example', 'v6.openai.example', 'api.us.example'], 'box test CA');
    writeFileSync(join(dir, 'ca.pem'), pki.caPem, { mode: 0o644 });
    writeFileSync(join(dir, 'cert.pem'), pki.certPem);
    writeFileSync(join(dir, 'key.pem'), pki.keyPem);
    const hosts = [`127.0.0.1 localhost`, `::1 localhost`, `${box.nodeV4} ${ISSUER_NAME}`, `${box.worldA} api.openai.example`, `${box.worldA6} v6.openai.example`, `${box.worldB} api.us.example`];
    box.etc(box.pod, { hosts: `${hosts.join('\n')}\n`, 'resolv.conf': `nameserver ${box.nodeV4}\n` });
    await box.spawn(box.world, [process.execPath, WORLD_SCRIPT, dir, box.worldA, `eu=${box.worldA}`, `us=${box.worldB}`, `eu6=${box.worldA6}`]);

    const issuer = await box.spawn(box.node, [process.execPath, NODE_SCRIPT, 'issuer', box.nodeV4, '8443', ISSUER_NAME, join(dir, 'cert.pem'), join(dir, 'key.pem'), mcpUrl]);
    const issued = JSON.parse(issuer.lines[0]!) as { issuer: string; token: string };
    token = issued.token;

    const { initArgs, appProbes, sidecarArgs } = await injected();
    expect(sidecarArgs, 'the injected sidecar proves capture on /readyz').to.include('--capture');
    const applied = await box.cli(box.pod, initArgs);
    expect(applied.code, applied.stderr).to.equal(0);

    await box.spawn(box.pod, [process.execPath, APP_SCRIPT, String(MCP_PORT)], { uid: APP });

    auditDir = join(dir, 'audit');
    mkdirSync(auditDir);
    chownSync(auditDir, SIDECAR, SIDECAR);
    const policy = join(dir, 'policy.yaml');
    writeFileSync(
      policy,
      stringify({
        apiVersion: 'mcpresidency.io/v1alpha1',
        kind: 'MCPResidencyPolicy',
        metadata: { name: 'box' },
        spec: {
          authentication: { mode: 'oidc', issuer: issued.issuer, audiences: [mcpUrl], requiredScopes: ['mcp:tools'] },
          masking: { mode: 'redact' },
          egress: {
            allowedRegions: ['eu'],
            // The providers live at private addresses inside the box.
            upstreams: [
              { name: 'openai', url: 'https://api.openai.example', region: 'westeurope', allowPrivateAddresses: true },
              { name: 'openai-v6', url: 'https://v6.openai.example', region: 'westeurope', allowPrivateAddresses: true },
              { name: 'azure-us', url: 'https://api.us.example', region: 'eastus', allowPrivateAddresses: true },
            ],
          },
        },
      }),
      { mode: 0o644 },
    );
    // The injected sidecar's own arguments, with the policy as a file and the box's directories
    // (there is no API server in the box).
    const args = [...sidecarArgs];
    const swap = (flag: string, value: string | undefined): void => {
      const i = args.indexOf(flag);
      if (value === undefined) args.splice(i, 2);
      else args.splice(i, 2, flag, value);
    };
    swap('--audit-dir', auditDir);
    swap('--secrets-dir', undefined);
    args.splice(args.indexOf('--policy-ref'), 2, '--policy', policy);
    await box.spawn(box.pod, [process.execPath, cliEntry, ...args], {
      uid: SIDECAR,
      env: { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), MCP_RESIDENCY_APP_PROBES: appProbes },
      readyOnStderr: (line) => line.includes('"sidecar started"'),
    });
  });

  after(async () => {
    await box?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("is ready once capture is proven, and the sidecar's own egress (the OIDC issuer) is not captured", async () => {
    const ready = await eventually('the sidecar ready (issuer keys fetched, capture proven)', async () => {
      const r = await fromNode(['get', `http://${box.podV4}:15090/readyz`]);
      return r.status === 200 ? r : undefined;
    }, 30_000, 200);
    const report = JSON.parse(ready.body as string) as { ready: boolean; checks: Record<string, { ok: boolean }> };
    expect(report.ready).to.equal(true);
    expect(report.checks.capture, 'the /readyz capture check').to.deep.include({ ok: true });
    // The app's call to the same issuer is captured, and the issuer is no declared destination.
    const app = await fromApp(['fetch', `https://${ISSUER_NAME}:8443/jwks`, '{}']);
    expect(app.status, JSON.stringify(app)).to.equal(undefined);
    expect(await recordFor('the refused issuer call', (r) => r.decision === 'deny' && String(r.destination ?? '').startsWith(ISSUER_NAME))).to.include({ kind: 'egress' });
  });

  it("an app's plain fetch (no proxy variables) to an allowed provider works and is audited", async () => {
    await stats('reset');
    const r = await fromApp(['fetch', 'https://api.openai.example/v1/chat/completions', CHAT]);
    expect(r.status, JSON.stringify(r)).to.equal(200);
    expect((await stats()).eu.requests).to.deep.equal(['POST api.openai.example/v1/chat/completions']);
    const record = await recordFor('the allowed call', (x) => x.decision === 'allow' && x.upstream === 'openai');
    expect(record).to.deep.include({ kind: 'egress', method: 'TLS', region: 'westeurope' });
    expect(record.bytesSent).to.be.greaterThan(CHAT.length);
  });

  it('a provider in a forbidden region is refused and audited with the reason; it receives zero bytes', async () => {
    await stats('reset');
    const r = await fromApp(['fetch', 'https://api.us.example/v1/chat/completions', CHAT]);
    expect(r.error, JSON.stringify(r)).to.be.a('string');
    const record = await recordFor('the refused call', (x) => x.decision === 'deny' && x.upstream === 'azure-us');
    expect(record.reason).to.include('eastus');
    expect((await stats()).us).to.deep.equal({ connections: 0, bytes: 0, requests: [] });
  });

  it('a forged SNI (the forbidden address, an allowed name) reaches only the named host', async () => {
    await stats('reset');
    const r = await fromApp(['tls', box.worldB, 'api.openai.example', '/v1/chat/completions', CHAT]);
    expect(r.status, JSON.stringify(r)).to.equal(200);
    const s = await stats();
    expect(s.us.connections, 'the address the app dialled').to.equal(0);
    expect(s.eu.requests).to.deep.equal(['POST api.openai.example/v1/chat/completions']);
  });

  it('IPv6 behaves the same: captured, decided, passed to the checked address', async () => {
    await stats('reset');
    const r = await fromApp(['fetch', 'https://v6.openai.example/v1/chat/completions', CHAT]);
    expect(r.status, JSON.stringify(r)).to.equal(200);
    expect((await stats()).eu6.requests).to.deep.equal(['POST v6.openai.example/v1/chat/completions']);
  });

  it('raw TCP on another port is refused and sends nothing on; UDP other than DNS is dropped; DNS passes', async () => {
    await box.start(box.world, ['listen-tcp', '9999', 'world-raw']);
    const before = (await records()).length;
    expect(await box.connect(box.pod, APP, box.worldA, 9999, 'hello\n')).to.not.equal('reply:world-raw');
    expect(await recordFor('the raw TCP refusal', (x) => x.decision === 'deny' && x.method === 'TCP' && (x.seq ?? 0) >= before)).to.deep.include({ bytesSent: 0 });
    expect(await box.udpSend(box.pod, APP, box.worldA, 9999)).to.equal('error:EPERM');
    expect(await box.udpSend(box.pod, APP, box.worldA6, 9999)).to.equal('error:EPERM');
    expect(await box.udpSend(box.pod, APP, box.nodeV4, 53)).to.equal('sent');
  });

  it('counts captured connections by decision in the metrics', async () => {
    const m = await fromNode(['get', `http://${box.podV4}:15090/metrics`]);
    expect(m.body).to.match(/mcp_residency_captured_connections_total\{[^}]*decision="allow"[^}]*\} [1-9]/u);
    expect(m.body).to.match(/mcp_residency_captured_connections_total\{[^}]*decision="deny"[^}]*\} [1-9]/u);
  });

  it("from the node, podIP:<app port> (IPv4 and IPv6) without a token gets the sidecar's 401", async () => {
    for (const url of [mcpUrl, `http://[${box.podV6}]:${MCP_PORT}/mcp`]) {
      const r = await fromNode(['unauthenticated', url]);
      expect(r.status, url).to.equal(401);
      expect(r.wwwAuthenticate).to.match(/^Bearer resource_metadata="/u);
    }
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
