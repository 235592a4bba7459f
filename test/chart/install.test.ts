// The chart installed into the real test API server, and the real operator process run with the
// chart's flags and a token for the chart's ServiceAccount: the chart's RBAC is enough for every
// call the operator makes, and no more (no Secret but its own).
//
// The control plane has no kubelet or kube-proxy, so nothing answers behind the chart's webhook
// Service: for the API server the operator is down. That is what the failure policies are about,
// so the test checks them here: a pod that asks for a policy is refused, any other pod is admitted,
// policies and approvals are refused; with webhook.failurePolicy=Ignore the asking pod starts and
// the operator reports it as unprotected. The webhooks only cover namespaces carrying this test's
// label (webhook.namespaceSelector), so other suites sharing the API server never see them.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lease, Secret } from '../../kube/core.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { PolicyObject } from '../../policy/types.ts';
import { tokenKubeconfig, useControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { freePort } from '../support/net.ts';
import { podManifest, policyManifest } from '../operator/manifests.ts';
import { eventually } from '../operator/support.ts';
import { chartDir, Rendered, repoRoot, valuesFile, type Deployment, type WebhookConfig } from './render.ts';

const TEST_LABEL = 'mcpresidency.io/chart-test';
const ADMISSION = '/apis/admissionregistration.k8s.io/v1';

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** `mcp-residency operator` as a child process, the way the chart's Deployment runs it. */
class OperatorProcess {
  readonly logs: string[] = [];
  private readonly child: ChildProcess;
  private exited: Promise<number | null>;
  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [join(repoRoot, 'cli', 'main.ts'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [this.child.stdout!, this.child.stderr!]) s.setEncoding('utf8').on('data', (d: string) => this.logs.push(d));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  text(): string {
    return this.logs.join('');
  }
  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

describe('chart installed into the real API server, operator on the chart\'s RBAC @cluster', function () {
  this.timeout(60_000);
  const cluster = useControlPlane();
  const id = randomBytes(3).toString('hex');
  const release = `mcpr-${id}`;
  const ns = `mcpr-chart-${id}`;
  const fullname = `${release}-mcp-residency`;
  const podName = `${fullname}-operator-7c9d-x2kq`;
  let cp: ControlPlane;
  let manifest: Rendered;
  let operatorArgs: string[];
  let serviceAccount: string;
  let token: string;
  let kubeconfig: string;
  let adminPort: number;
  let operator: OperatorProcess | undefined;
  let installed = false;
  let app: string;

  const startOperator = async (): Promise<OperatorProcess> => {
    adminPort = await freePort();
    const args = operatorArgs.map((a) =>
      a.startsWith('--webhook-listen=') ? '--webhook-listen=127.0.0.1:0' : a.startsWith('--admin-listen=') ? `--admin-listen=127.0.0.1:${adminPort}` : a,
    );
    const op = new OperatorProcess([...args, `--kubeconfig=${kubeconfig}`], { PATH: process.env.PATH ?? '', HOME: tmpdir(), POD_NAMESPACE: ns, POD_NAME: podName });
    await eventually(
      'the operator to be ready (/readyz 200)',
      async () => {
        if (!op.running) throw new Error(`the operator exited:\n${op.text()}`);
        return (await httpStatus(`http://127.0.0.1:${adminPort}/readyz`)) === 200 ? true : undefined;
      },
      45_000,
      200,
    ).catch(async (err: unknown) => {
      await op.stop();
      throw new Error(`${(err as Error).message}\n--- operator log ---\n${op.text()}`);
    });
    return op;
  };

  const webhookConfigs = async (): Promise<WebhookConfig[]> =>
    Promise.all(
      ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'].map(async (kind) => {
        const r = await cp.api('GET', `${ADMISSION}/${kind}/${fullname}`);
        expect(r.status, `GET ${kind}/${fullname}: ${r.text}`).to.equal(200);
        return r.body as WebhookConfig;
      }),
    );
  const caBundles = async (): Promise<string[]> => (await webhookConfigs()).flatMap((c) => c.webhooks.map((w) => w.clientConfig.caBundle ?? ''));

  before(async function () {
    this.timeout(120_000);
    cp = cluster();
    const values = await valuesFile({
      webhook: { timeoutSeconds: 2, namespaceSelector: { matchLabels: { [TEST_LABEL]: id } } },
      approvers: { groups: ['privacy-officers'] },
    });
    const install = await cp.helm(['install', release, chartDir, '--namespace', ns, '--create-namespace', '-f', values]);
    expect(install.code, `helm install:\n${install.stdout}\n${install.stderr}`).to.equal(0);
    installed = true;
    const got = await cp.helm(['get', 'manifest', release, '--namespace', ns]);
    expect(got.code, got.stderr).to.equal(0);
    manifest = new Rendered(got.stdout);
    const deployment = manifest.one<Deployment>('Deployment');
    operatorArgs = deployment.spec.template.spec.containers[0]!.args!;
    serviceAccount = deployment.spec.template.spec.serviceAccountName!;

    token = await cp.tokenFor(ns, serviceAccount);
    const dir = await mkdtemp(join(tmpdir(), 'mcpr-chart-'));
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, tokenKubeconfig(cp, token, { namespace: ns }), { mode: 0o600 });
    app = await cp.newNamespace(`chart-app-${id}`);
  });

  after(async function () {
    this.timeout(60_000);
    await operator?.stop();
    if (installed) await cp.helm(['uninstall', release, '--namespace', ns]);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && operator) process.stderr.write(`--- operator log ---\n${operator.logs.slice(-40).join('')}\n`);
  });

  it('helm install: the API server accepts every object of the chart', async () => {
    expect(manifest.summary()).to.include.members([`Deployment/${fullname}-operator`, `MutatingWebhookConfiguration/${fullname}`, `ValidatingWebhookConfiguration/${fullname}`, `ClusterRoleBinding/${fullname}-approver`]);
    const r = await cp.kubectl(['get', '-f', '-', '-o', 'json'], { input: manifest.text });
    expect(r.code, r.stderr).to.equal(0);
    const items = (JSON.parse(r.stdout) as { items: KubeObject[] }).items;
    expect(items.map((o) => `${o.kind}/${o.metadata.name}`).sort()).to.deep.equal(manifest.summary());
  });

  it('the operator, with the chart\'s flags and ServiceAccount token, gets ready: TLS Secret, Lease, caBundle, policy status', async () => {
    operator = await startOperator();
    const secret = await cp.api('GET', `/api/v1/namespaces/${ns}/secrets/${fullname}-webhook-tls`);
    expect(secret.status, secret.text).to.equal(200);
    const ca = Buffer.from((secret.body as Secret).data!['ca.crt']!, 'base64').toString();
    const bundles = await caBundles();
    expect(bundles).to.have.length(3); // pods, policies, approvals
    for (const b of bundles) expect(Buffer.from(b, 'base64').toString()).to.equal(ca);

    const lease = await cp.api('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${fullname}-operator`);
    expect(lease.status, lease.text).to.equal(200);
    expect((lease.body as Lease).spec.holderIdentity).to.equal(podName);

    // The namespace is not labelled for this test's webhooks yet: the policy is stored unchecked.
    const created = await cp.api('POST', `/apis/mcpresidency.io/v1alpha1/namespaces/${app}/mcpresidencypolicies`, policyManifest(app, 'eu'));
    expect(created.status, created.text).to.equal(201);
    await eventually('the policy controller to write a status', async () => {
      const p = (await cp.api('GET', `/apis/mcpresidency.io/v1alpha1/namespaces/${app}/mcpresidencypolicies/eu`)).body as PolicyObject;
      return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && p.status.observedGeneration === p.metadata.generation ? true : undefined;
    });
    expect(operator.text(), 'no request was forbidden').to.not.match(/forbidden|HTTP 403/iu);
    expect(operator.running).to.equal(true);
  });

  it('cannot read Secrets it has no business reading', async () => {
    const as = `--as=system:serviceaccount:${ns}:${serviceAccount}`;
    const canI = async (...args: string[]): Promise<string> => (await cp.kubectl(['auth', 'can-i', ...args, as])).stdout.trim();
    expect(await canI('get', 'secrets', '-n', 'default')).to.equal('no');
    expect(await canI('list', 'secrets', '-A')).to.equal('no');
    expect(await canI('list', 'secrets', '-n', ns)).to.equal('no');
    expect(await canI('get', 'secrets/some-other-secret', '-n', ns)).to.equal('no');
    expect(await canI('get', `secrets/${fullname}-webhook-tls`, '-n', ns)).to.equal('yes');
    expect(await canI('patch', 'mutatingwebhookconfigurations/someone-elses')).to.equal('no');

    await cp.api('POST', `/api/v1/namespaces/${app}/secrets`, { metadata: { name: 'db' }, stringData: { password: 'x' } });
    for (const path of [`/api/v1/namespaces/${app}/secrets/db`, '/api/v1/namespaces/default/secrets', `/api/v1/namespaces/${ns}/secrets`, '/api/v1/secrets']) {
      expect((await cp.api('GET', path, undefined, { token })).status, `GET ${path}`).to.equal(403);
    }
    expect((await cp.api('GET', `/api/v1/namespaces/${ns}/secrets/${fullname}-webhook-tls`, undefined, { token })).status).to.equal(200);
  });

  it('with no webhook answering: a pod asking for a policy is refused, any other pod admitted; policies and approvals refused', async () => {
    const label = await cp.api('PATCH', `/api/v1/namespaces/${app}`, { metadata: { labels: { [TEST_LABEL]: id } } }, { contentType: 'application/merge-patch+json' });
    expect(label.status, label.text).to.equal(200);

    const plain = await cp.api('POST', `/api/v1/namespaces/${app}/pods`, podManifest('plain'));
    expect(plain.status, `a pod that does not ask for a policy: ${plain.text}`).to.equal(201);

    const asking = await cp.api('POST', `/api/v1/namespaces/${app}/pods`, podManifest('asking', { 'mcpresidency.io/policy': 'eu' }));
    expect(asking.status, 'a pod that asks for a policy').to.be.at.least(400);
    expect(asking.text).to.include('pods.mcpresidency.io');

    const policy = await cp.api('POST', `/apis/mcpresidency.io/v1alpha1/namespaces/${app}/mcpresidencypolicies`, policyManifest(app, 'other'));
    expect(policy.status).to.be.at.least(400);
    expect(policy.text).to.include('policies.mcpresidency.io');

    const now = Date.now();
    const approval = await cp.api('POST', `/apis/mcpresidency.io/v1alpha1/namespaces/${app}/mcpapprovals`, {
      apiVersion: 'mcpresidency.io/v1alpha1',
      kind: 'MCPApproval',
      metadata: { name: 'forged' },
      spec: {
        policy: 'eu',
        tool: 'export_customers',
        arguments: '{}',
        argumentsDigest: `sha256:${'0'.repeat(64)}`,
        requester: { sub: 'agent' },
        requestedAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 300_000).toISOString(),
      },
    });
    expect(approval.status).to.be.at.least(400);
    expect(approval.text).to.include('approvals.mcpresidency.io');
  });

  it('helm upgrade keeps the caBundle the operator wrote; with failurePolicy=Ignore the asking pod starts and is reported unprotected', async () => {
    const before = await caBundles();
    await operator!.stop(); // nobody could repair a caBundle the upgrade reset
    operator = undefined;
    const upgrade = await cp.helm(['upgrade', release, chartDir, '--namespace', ns, '--reuse-values', '--set', 'webhook.failurePolicy=Ignore']);
    expect(upgrade.code, `helm upgrade:\n${upgrade.stdout}\n${upgrade.stderr}`).to.equal(0);
    expect(await caBundles(), 'caBundle after helm upgrade').to.deep.equal(before);
    const [mutating, validating] = await webhookConfigs();
    expect(mutating!.webhooks[0]!.failurePolicy).to.equal('Ignore');
    expect(validating!.webhooks.map((w) => w.failurePolicy)).to.deep.equal(['Fail', 'Fail']);

    operator = await startOperator();
    const started = await cp.api('POST', `/api/v1/namespaces/${app}/pods`, podManifest('unprotected', { 'mcpresidency.io/policy': 'eu' }));
    expect(started.status, started.text).to.equal(201);
    await eventually('the operator to report the pod (policy status and Event)', async () => {
      const p = (await cp.api('GET', `/apis/mcpresidency.io/v1alpha1/namespaces/${app}/mcpresidencypolicies/eu`)).body as PolicyObject;
      const ev = await cp.api('GET', `/api/v1/namespaces/${app}/events?fieldSelector=involvedObject.name=unprotected`);
      const events = (ev.body as { items: { reason: string }[] }).items;
      return p.status?.unprotectedPods === 1 && events.some((e) => e.reason === 'Unprotected') ? true : undefined;
    });
    expect(operator.text(), 'no request was forbidden').to.not.match(/forbidden|HTTP 403/iu);
  });

  it('helm uninstall removes what the chart created; CRDs, the operator\'s Secret and Lease stay', async () => {
    await operator?.stop();
    operator = undefined;
    const r = await cp.helm(['uninstall', release, '--namespace', ns]);
    expect(r.code, r.stderr).to.equal(0);
    installed = false;
    const left = await cp.kubectl(['get', '-f', '-', '-o', 'name', '--ignore-not-found'], { input: manifest.text });
    expect(left.stdout.trim(), 'objects left after helm uninstall').to.equal('');
    for (const crd of ['mcpresidencypolicies.mcpresidency.io', 'mcpapprovals.mcpresidency.io']) {
      expect((await cp.api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`)).status, crd).to.equal(200);
    }
    // Made by the operator, not by Helm: removed with the namespace (documented in the README).
    expect((await cp.api('GET', `/api/v1/namespaces/${ns}/secrets/${fullname}-webhook-tls`)).status).to.equal(200);
    expect((await cp.api('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${fullname}-operator`)).status).to.equal(200);
  });
});
