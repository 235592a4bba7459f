// The capture rules in a real kernel: `mcp-residency capture apply` (what the init container
// runs) inside a pod network namespace, then traffic as the pod's UIDs would make it. The
// listeners on 15080 and 15082 here are tiny tagged echo servers, so each assertion says where a
// connection landed. Needs root (netns, veth); fails with that reason otherwise.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Pod } from '../../kube/core.ts';
import { runCli } from '../support/cli.ts';
import { goldenDir } from '../operator/support.ts';
import { helperPath } from '../../sidecar/capture/executor.ts';
import { eventually } from '../support/eventually.ts';
import { PodBox, requireNetns } from '../support/netns.ts';

const SIDECAR = 65532;

async function initContainerArgs(inside: string): Promise<string[]> {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'mcp', namespace: 'agents', annotations: { 'mcpresidency.io/policy': 'eu-crm' } },
    spec: { containers: [{ name: 'server', image: 'mcp:1', ports: [{ containerPort: MCP_PORT }] }] },
  };
  const r = await runCli(['inject', '-f', '-', '--policy', join(goldenDir, 'policy.yaml'), '--capture-inside', inside], { input: stringify(pod) });
  expect(r.code, r.stderr).to.equal(0);
  const init = (parse(r.stdout) as Pod).spec.initContainers!.find((c) => c.name === 'mcp-residency-init')!;
  expect(init.args!.slice(0, 2)).to.deep.equal(['capture', 'apply']);
  return init.args!;
}
const APP = 1000;
const MCP_PORT = 8080;

describe('capture rules in a network namespace (root, netns)', function () {
  this.timeout(60_000);
  let box: PodBox;
  let nodeUdp: { lines: string[] };
  let applyArgs: string[];

  before(async () => {
    await requireNetns();
    if (!existsSync(helperPath())) throw new Error(`the capture helper ${helperPath()} is missing: run 'make build' first (needs Go)`);
    box = new PodBox();
    await box.create();
    // The pod: its app on 8080, and stand-ins for the sidecar's gateway (15080) and egress listener (15082).
    await box.start(box.pod, ['listen-tcp', String(MCP_PORT), 'app']);
    await box.start(box.pod, ['listen-tcp', '15080', 'gateway']);
    await box.start(box.pod, ['listen-tcp', '15082', 'egress']);
    // The node and the world beyond: a web port, a resolver (UDP+TCP 53) and another UDP port.
    await box.start(box.node, ['listen-tcp', '443', 'node']);
    await box.start(box.node, ['listen-tcp', '53', 'node-dns']);
    nodeUdp = await box.start(box.node, ['listen-udp', '53']);
    // The rules come from the init container's command, as `inject` prints it for a pod.
    applyArgs = await initContainerArgs(box.otherRange);
    box.etc(box.pod, { 'resolv.conf': `nameserver ${box.nodeV4}\nnameserver ${box.nodeV6}\n` });
    const r = await box.cli(box.pod, applyArgs);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/installed table inet mcp_residency/u);
  });

  after(async () => {
    await box?.destroy();
  });

  it('sends TCP from outside to the MCP port to the gateway, over IPv4 and IPv6', async () => {
    expect(await box.connect(box.node, 0, box.podV4, MCP_PORT)).to.equal('reply:gateway');
    expect(await box.connect(box.node, 0, box.podV6, MCP_PORT)).to.equal('reply:gateway');
  });

  it("leaves the sidecar's own loopback connection to the app alone", async () => {
    expect(await box.connect(box.pod, SIDECAR, '127.0.0.1', MCP_PORT)).to.equal('reply:app');
  });

  it("captures the app's outbound TCP into the egress listener, over IPv4 and IPv6", async () => {
    expect(await box.connect(box.pod, APP, box.nodeV4, 443)).to.equal('reply:egress');
    expect(await box.connect(box.pod, APP, box.nodeV6, 443)).to.equal('reply:egress');
    // root in an app container is an app process like any other
    expect(await box.connect(box.pod, 0, box.nodeV4, 443)).to.equal('reply:egress');
  });

  it("does not capture the sidecar's own outbound traffic", async () => {
    expect(await box.connect(box.pod, SIDECAR, box.nodeV4, 443)).to.equal('reply:node');
    expect(await box.connect(box.pod, SIDECAR, box.nodeV6, 443)).to.equal('reply:node');
  });

  it('sends only the sidecar\'s proof connection (127.0.0.6:15083) to the listener', async () => {
    expect(await box.connect(box.pod, SIDECAR, '127.0.0.6', 15083)).to.equal('reply:egress');
    expect(await box.connect(box.pod, APP, '127.0.0.6', 15083)).to.equal('error:ECONNREFUSED');
  });

  it("lets DNS to the pod's resolvers (from resolv.conf) pass and drops other UDP", async () => {
    expect(await box.udpSend(box.pod, APP, box.nodeV4, 53)).to.equal('sent');
    expect(await box.connect(box.pod, APP, box.nodeV4, 53)).to.equal('reply:node-dns');
    expect(await box.connect(box.pod, APP, box.nodeV6, 53)).to.equal('reply:node-dns');
    // Dropped in the output hook: the kernel refuses the send itself, nothing leaves the pod.
    expect(await box.udpSend(box.pod, APP, box.nodeV4, 5353)).to.equal('error:EPERM');
    expect(await box.udpSend(box.pod, APP, box.nodeV6, 5353)).to.equal('error:EPERM');
    // DNS to a resolver the pod was not given is UDP like any other.
    expect(await box.udpSend(box.pod, APP, box.nodeV4.replace(/\.1$/u, '.9'), 53)).to.equal('error:EPERM');
    expect(await box.udpSend(box.pod, APP, box.nodeV6, 53)).to.equal('sent');
    await eventually('the resolver to receive the DNS datagrams', () => (nodeUdp.lines.filter((l) => l === 'udp:ping').length >= 2 ? true : undefined));
  });

  it('lets a range named inside the boundary pass without a decision', async () => {
    expect(await box.connect(box.pod, APP, box.otherV4, 443)).to.equal('reply:node');
  });

  it('changes nothing when applied twice, and remove restores the namespace', async () => {
    const before = await box.cli(box.pod, ['capture', 'show', '--json']);
    const again = await box.cli(box.pod, applyArgs);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/already in place, unchanged/u);
    expect((await box.cli(box.pod, ['capture', 'show', '--json'])).stdout).to.equal(before.stdout);

    // Other flags: a new plan replaces the old one whole.
    const other = await box.cli(box.pod, ['capture', 'apply', '--mcp-port', '9090', '--dns', box.nodeV4]);
    expect(other.stdout).to.match(/installed/u);
    expect(await box.connect(box.node, 0, box.podV4, MCP_PORT)).to.equal('reply:app');

    const removed = await box.cli(box.pod, ['capture', 'remove']);
    expect(removed.stdout).to.match(/removed table inet mcp_residency/u);
    const shown = await box.cli(box.pod, ['capture', 'show']);
    expect(shown.code).to.equal(3);
    expect(await box.connect(box.pod, APP, box.nodeV4, 443)).to.equal('reply:node');
    expect(await box.udpSend(box.pod, APP, box.nodeV4, 5353)).to.equal('sent');
    expect((await box.cli(box.pod, ['capture', 'remove'])).stdout).to.match(/nothing to remove/u);
    // and back, for the tests after this one
    expect((await box.cli(box.pod, applyArgs)).code).to.equal(0);
  });
});
