// `mcp-residency operator` as a user runs it: help, flag errors, and a real start against the
// test control plane (ready, metrics, clean shutdown on SIGTERM).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { cliEntry, repoRoot, runCli } from '../support/cli.ts';
import { useControlPlane } from '../support/controlplane.ts';
import { freePort } from '../support/net.ts';
import { eventually } from './support.ts';

describe('mcp-residency operator (CLI)', () => {
  it('documents every flag with its environment variable', async () => {
    const r = await runCli(['operator', '--help']);
    expect(r.code).to.equal(0);
    for (const flag of ['--kubeconfig', '--namespace', '--webhook-listen', '--admin-listen', '--sidecar-image', '--sidecar-log-level', '--leader-elect', '--mutating-webhook-configurations']) {
      expect(r.stdout).to.include(flag);
    }
    expect(r.stdout).to.include('env MCP_RESIDENCY_SIDECAR_IMAGE');
    expect(r.stdout).to.include('default 0.0.0.0:9443');
  });

  it('refuses bad flags in one line, before touching the cluster', async () => {
    const r = await runCli(['operator', '--kubeconfig', '/nonexistent', '--namespace', 'x']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('cannot read kubeconfig /nonexistent');
    const q = await runCli(['operator', '--namespace', 'x'], { env: { KUBERNETES_SERVICE_HOST: '', KUBERNETES_SERVICE_PORT: '' } });
    expect(q.stderr).to.include('not running in a cluster');
  });
});

describe('mcp-residency operator (CLI) @cluster', function () {
  this.timeout(60_000);
  const cluster = useControlPlane();

  it('starts, becomes ready, serves metrics, and exits cleanly on SIGTERM', async () => {
    const cp = cluster();
    const ns = await cp.newNamespace('cli-op');
    const admin = await freePort();
    const child = spawn(process.execPath, [cliEntry, 'operator', '--kubeconfig', cp.kubeconfigPath, '--webhook-listen', '127.0.0.1:0', '--webhook-hosts', '127.0.0.1', '--leader-elect', '--log-level', 'debug'], {
      cwd: repoRoot,
      env: { ...process.env, POD_NAMESPACE: ns, MCP_RESIDENCY_ADMIN_LISTEN: `127.0.0.1:${admin}`, MCP_RESIDENCY_SIDECAR_IMAGE: 'example/sidecar:test' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const readyz = await eventually('/readyz 200', async () => {
        const r = await fetch(`http://127.0.0.1:${admin}/readyz`).catch(() => undefined);
        return r?.status === 200 ? ((await r.json()) as { checks: Record<string, unknown> }) : undefined;
      }, 30_000, 200).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\n${stderr}`);
      });
      expect(Object.keys(readyz.checks)).to.have.members(['caches', 'tls', 'webhook']);
      const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
      expect(metrics).to.include('mcp_residency_operator_leader 1');
      const lease = await cp.api('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/mcp-residency-operator`);
      expect(lease.status).to.equal(200);
      expect(stderr).to.include('"msg":"operator started"');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
    expect(stderr).to.include('operator stopped');
  });
});
