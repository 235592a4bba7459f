// The capture plan as data (no kernel): what `capture apply --dry-run` prints, its checks, and the
// app-probe route that keeps kubelet probes working once the MCP port belongs to the gateway.
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { appProbeRoute, parseAppProbes } from '../../sidecar/admin/app-probes.ts';
import { capturePlan, resolvConfServers, type CaptureOptions } from '../../sidecar/capture/rules.ts';
import { runCli } from '../support/cli.ts';

const base: CaptureOptions = { mcpPorts: [8080], inboundTarget: 15080, egressTarget: 15082, sidecarUid: 65532, dnsServers: ['10.96.0.10'], insideRanges: [] };

describe('capture plan', () => {
  it('names every rule with one digest that changes with the rules', () => {
    const plan = capturePlan(base);
    expect(plan.chains.map((c) => [c.name, c.type, c.hook, c.priority])).to.deep.equal([
      ['inbound', 'nat', 'prerouting', -100],
      ['outbound', 'nat', 'output', -100],
      ['outbound_filter', 'filter', 'output', 0],
    ]);
    const digests = new Set(plan.chains.flatMap((c) => c.rules.map((r) => /^mcp-residency ([0-9a-f]{12}): /u.exec(r.comment)?.[1])));
    expect(digests.size).to.equal(1);
    expect(capturePlan(base)).to.deep.equal(plan);
    const other = capturePlan({ ...base, insideRanges: ['10.0.0.0/8'] });
    expect(other.chains[0]!.rules[0]!.comment).to.not.equal(plan.chains[0]!.rules[0]!.comment);
  });

  it('puts the proof rule before the sidecar exemption and captures TCP last', () => {
    const out = capturePlan(base).chains[1]!.rules;
    expect(out[0]!.match).to.deep.include({ kind: 'daddr', value: '127.0.0.6' });
    expect(out[0]!.verdict).to.deep.equal({ kind: 'redirect', port: 15082 });
    expect(out[1]!.match).to.deep.equal([{ kind: 'skuid', value: 65532 }]);
    expect(out.at(-1)).to.deep.include({ match: [{ kind: 'l4proto', value: 'tcp' }], verdict: { kind: 'redirect', port: 15082 } });
    expect(capturePlan(base).chains[2]!.rules.at(-1)!.verdict).to.deep.equal({ kind: 'drop' });
  });

  it('refuses options that would open a hole or clash, naming the value', () => {
    expect(() => capturePlan({ ...base, sidecarUid: 0 })).to.throw('sidecar UID 0 must be a non-root UID');
    expect(() => capturePlan({ ...base, mcpPorts: [15082] })).to.throw("MCP port 15082 is one of the sidecar's own ports");
    expect(() => capturePlan({ ...base, mcpPorts: [70000] })).to.throw('MCP port 70000 is not a port');
    expect(() => capturePlan({ ...base, insideRanges: ['10.0.0.0/33'] })).to.throw('"10.0.0.0/33" is not an IPv4 or IPv6 address or CIDR');
    expect(() => capturePlan({ ...base, dnsServers: ['10.0.0.0/8'] })).to.throw('DNS server "10.0.0.0/8" must be one address');
  });

  it('reads the resolvers of a resolv.conf, skipping what it cannot match', () => {
    expect(resolvConfServers('search svc.cluster.local\nnameserver 10.96.0.10\n# nameserver 1.1.1.1\nnameserver fd00::a\nnameserver fe80::1%eth0\nnameserver 10.96.0.10\n')).to.deep.equal(['10.96.0.10', 'fd00::a']);
  });

  it('capture apply --dry-run prints the plan and installs nothing', async () => {
    const r = await runCli(['capture', 'apply', '--mcp-port', '8080', '--dns', '10.96.0.10', '--dry-run']);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal(capturePlan(base));
    const bad = await runCli(['capture', 'apply', '--mcp-port', 'http', '--dry-run']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('--mcp-port: "http" is not a number');
  });
});

describe('app probes through the admin port', () => {
  let app: http.Server;
  let admin: http.Server;
  let adminPort: number;
  const seen: { url?: string; probe?: string }[] = [];

  before(async () => {
    app = http.createServer((req, res) => {
      seen.push({ url: req.url, probe: req.headers['x-probe'] as string | undefined });
      res.writeHead(req.url === '/ready' ? 200 : 500).end();
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const appPort = (app.address() as AddressInfo).port;
    const probes = parseAppProbes(
      JSON.stringify({ '/app-health/server/readyz': { port: appPort, path: '/ready', httpHeaders: [{ name: 'X-Probe', value: 'kubelet' }] }, '/app-health/server/livez': { port: appPort, path: '/broken' } }),
    );
    const route = appProbeRoute(probes);
    admin = http.createServer((req, res) => {
      void Promise.resolve(route(req, res)).then((handled) => handled || res.writeHead(404).end());
    });
    await new Promise<void>((r) => admin.listen(0, '127.0.0.1', r));
    adminPort = (admin.address() as AddressInfo).port;
  });

  after(() => {
    app?.close();
    admin?.close();
  });

  it('answers with the app\'s status for the declared probes only', async () => {
    expect((await fetch(`http://127.0.0.1:${adminPort}/app-health/server/readyz`)).status).to.equal(200);
    expect(seen.at(-1)).to.deep.equal({ url: '/ready', probe: 'kubelet' });
    expect((await fetch(`http://127.0.0.1:${adminPort}/app-health/server/livez`)).status).to.equal(500);
    // Not a way into the app: an undeclared path is not forwarded.
    const before = seen.length;
    expect((await fetch(`http://127.0.0.1:${adminPort}/app-health/server/../../admin`)).status).to.equal(404);
    expect((await fetch(`http://127.0.0.1:${adminPort}/app-health/other/readyz`)).status).to.equal(404);
    expect(seen.length).to.equal(before);
  });

  it('rejects a malformed probe list, naming the variable', () => {
    expect(() => parseAppProbes('{"/elsewhere":{"port":1,"path":"/"}}')).to.throw('MCP_RESIDENCY_APP_PROBES');
    expect(() => parseAppProbes('nope')).to.throw('MCP_RESIDENCY_APP_PROBES is not JSON');
  });
});
