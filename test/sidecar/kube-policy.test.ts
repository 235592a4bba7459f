// Live policy updates, end to end on the real API server: the operator injects a pod, and a
// sidecar process started from exactly what the webhook wrote (command, args, env; with the
// paths kubelet would mount mapped to temp dirs) watches its policy with the pod's service
// account. An edit changes its decisions within two seconds; a delete makes it refuse; losing
// the API keeps the last good policy, and says so.
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import type { Container, Pod } from '../../kube/core.ts';
import { startHarness, type Harness } from '../operator/harness.ts';
import { TcpProxy } from '../operator/tcp-proxy.ts';
import { startCli } from '../support/cli.ts';
import { tokenKubeconfig, useControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { postMcp } from '../support/mcp-client.ts';
import { eventually } from '../support/sidecar.ts';

const policyYaml = (ns: string, denied: string[]): string => `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm, namespace: ${ns} }
spec:
  authentication: { mode: none }
  tools:
    rules:
${denied.map((t) => `      - { name: "${t}", action: deny }`).join('\n')}
`;

async function listTools(mcp: string): Promise<{ status: number; tools: string[] }> {
  const res = await postMcp(`${mcp}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
  const body = (await res.json()) as { result?: { tools: { name: string }[] } };
  return { status: res.status, tools: body.result?.tools.map((t) => t.name) ?? [] };
}

describe('live policy updates to a running sidecar @cluster', function () {
  this.timeout(60_000);
  const cluster = useControlPlane();
  let cp: ControlPlane;
  let harness: Harness;
  let server: RunningSampleServer;
  let apiProxy: TcpProxy;
  let child: ChildProcess;
  let ns: string;
  let urls: { mcp: string; admin: string };

  before(async () => {
    cp = cluster();
    harness = await startHarness(cp);
    ns = await harness.coveredNamespace('live');
    server = await startSampleServer('stateless');
    await cp.apply(policyYaml(ns, ['delete_*']));
    const port = new URL(server.origin).port;
    const created = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crm-0', annotations: { 'mcpresidency.io/policy': 'crm', 'mcpresidency.io/port': port } },
      spec: { containers: [{ name: 'server', image: 'registry.example.com/crm:1', ports: [{ containerPort: Number(port) }] }] },
    });
    expect(created.status, created.text).to.equal(201);
    const pod = created.body as Pod;
    const proxy = pod.spec.initContainers?.find((c: Container) => c.name === 'mcp-residency-proxy');
    expect(proxy, 'the webhook injected the sidecar').to.not.equal(undefined);

    // The pod's service account token, and the API server behind a proxy this test can break.
    await eventually('the operator granted the pod its Role', async () => {
      const r = await cp.kubectl(['auth', 'can-i', 'watch', 'mcpresidencypolicies.mcpresidency.io', '-n', ns, `--as=system:serviceaccount:${ns}:default`]);
      return r.stdout.trim() === 'yes' ? true : undefined;
    });
    apiProxy = await TcpProxy.start(cp.server);
    const token = await cp.tokenFor(ns, pod.spec.serviceAccountName ?? 'default');
    const dir = await mkdtemp(join(tmpdir(), 'live-'));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, tokenKubeconfig(cp, token, { server: apiProxy.url }));
    // What kubelet would mount, mapped to temp dirs; everything else exactly as written.
    const mounts: Record<string, string> = { '/var/lib/mcp-residency/audit': join(dir, 'audit'), '/var/run/secrets/mcp-residency': join(dir, 'secrets') };
    // Its ports moved to free loopback ports, and no --capture: this sidecar runs outside a
    // captured network namespace (test/capture/pod-in-a-box.test.ts runs one inside).
    const ports: Record<string, string> = { '[::]:15080': '127.0.0.1:0', '[::]:15090': '127.0.0.1:0' };
    const args = (proxy!.args ?? []).map((a) => mounts[a] ?? ports[a] ?? a).filter((a) => a !== '--capture');
    expect(args).to.include.members(['sidecar', '--policy-ref', `${ns}/crm`, '--upstream', `http://127.0.0.1:${port}`]);
    const env: NodeJS.ProcessEnv = { ...process.env, POD_NAME: 'crm-0', POD_NAMESPACE: ns };
    for (const e of proxy!.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    Object.assign(env, { MCP_RESIDENCY_EGRESS_LISTEN: '127.0.0.1:0', MCP_RESIDENCY_TRANSPARENT_LISTEN: '127.0.0.1:0', MCP_RESIDENCY_KUBECONFIG: kubeconfig });
    const sidecar = startCli<{ msg: string; mcp: string; admin: string }>(args, 'sidecar started', { env });
    child = sidecar.child;
    urls = await sidecar.started;
  });

  after(async () => {
    child?.kill('SIGKILL');
    await apiProxy?.close();
    await server?.close();
    await harness?.stop();
  });

  it('enforces the policy it watches', async () => {
    const r = await eventually('policy enforced', async () => {
      const x = await listTools(urls.mcp);
      return x.status === 200 ? x : undefined;
    });
    expect(r.tools).to.include('get_customer').and.not.include('delete_customer');
  });

  it('applies a policy edit within two seconds, without a restart', async () => {
    await cp.apply(policyYaml(ns, ['delete_*', 'get_*']));
    const started = Date.now();
    await eventually('the edit took effect', async () => ((await listTools(urls.mcp)).tools.includes('get_customer') ? undefined : true), 2_000);
    expect(Date.now() - started).to.be.below(2_000);
    expect(child.exitCode).to.equal(null);
  });

  it('keeps its last good policy when it loses the API, and says so', async () => {
    apiProxy.stopAccepting();
    apiProxy.reset();
    const readyz = await eventually(
      'the sidecar reports the stale policy',
      async () => {
        const body = (await (await fetch(`${urls.admin}/readyz`)).json()) as { ready: boolean; checks: { policy: { warning?: string } } };
        return body.checks.policy.warning ? body : undefined;
      },
      10_000,
    );
    expect(readyz.ready).to.equal(true);
    expect(readyz.checks.policy.warning).to.match(/enforcing the last good policy .*crm.*cannot reach the Kubernetes API/);
    expect(await (await fetch(`${urls.admin}/metrics`)).text()).to.include('mcp_residency_policy_stale 1');
    expect((await listTools(urls.mcp)).tools).to.not.include('get_customer');

    apiProxy.startAccepting();
    await eventually(
      'back in touch with the API',
      async () => ((await (await fetch(`${urls.admin}/metrics`)).text()).includes('mcp_residency_policy_stale 0') ? true : undefined),
      15_000,
    );
  });

  it('refuses every request once its policy is deleted', async () => {
    await cp.kubectl(['delete', 'mcpresidencypolicy', 'crm', '-n', ns]);
    const r = await eventually('refusing', async () => {
      const x = await listTools(urls.mcp);
      return x.status === 503 ? x : undefined;
    });
    expect(r.tools).to.deep.equal([]);
    const readyz = (await (await fetch(`${urls.admin}/readyz`)).json()) as { ready: boolean; checks: { policy: { reason: string } } };
    expect(readyz.ready).to.equal(false);
    expect(readyz.checks.policy.reason).to.equal(`policy ${ns}/crm was deleted`);
  });
});
