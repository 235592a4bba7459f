// The operator against a real kube-apiserver: the API server itself calls the webhooks over
// TLS (with the caBundle the operator patched in), policies get their status, invalid ones are
// refused, and the operator survives watches that break or go silent.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import type { Pod } from '../../kube/core.ts';
import type { PolicyObject } from '../../policy/types.ts';
import { checkPolicy } from '../../operator/policies/check.ts';
import { ANNOTATION_STATUS, CAPTURE_INIT_CONTAINER, SIDECAR_CONTAINER } from '../../operator/inject/constants.ts';
import { useControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { randomBytes } from 'node:crypto';
import { operatorClusterRules, operatorNamespaceRules } from '../../operator/rbac-requirements.ts';
import { splitPem } from '../../operator/tls/pki.ts';
import { getWebhookConfig, startHarness, TEST_LABEL, type Harness } from './harness.ts';
import { podManifest, policyManifest } from './manifests.ts';
import { eventually } from './support.ts';

async function createPolicy(cp: ControlPlane, ns: string, body: object): Promise<{ status: number; text: string; body: unknown }> {
  return cp.api('POST', `/apis/mcpresidency.io/v1alpha1/namespaces/${ns}/mcpresidencypolicies`, body);
}

async function getPolicy(cp: ControlPlane, ns: string, name: string): Promise<PolicyObject> {
  const r = await cp.api('GET', `/apis/mcpresidency.io/v1alpha1/namespaces/${ns}/mcpresidencypolicies/${name}`);
  if (r.status !== 200) throw new Error(`GET policy: ${r.status} ${r.text}`);
  return r.body as PolicyObject;
}

const ready = (p: PolicyObject) => p.status?.conditions?.find((c) => c.type === 'Ready');

describe('operator against a real API server @cluster', function () {
  this.timeout(90_000);
  const cluster = useControlPlane();
  let h: Harness;

  before(async function () {
    this.timeout(120_000);
    h = await startHarness(cluster(), { watchIdleTimeoutMs: 4_000, resyncMs: 60_000 });
  });
  after(async () => {
    await h?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') process.stderr.write(`--- operator log ---\n${h.logs.slice(-60).join('')}\n`);
  });

  it('patches its CA into the webhook configurations (no manual TLS steps)', async () => {
    const cp = cluster();
    const secret = await cp.api('GET', `/api/v1/namespaces/${h.namespace}/secrets/mcp-residency-webhook-tls`);
    expect(secret.status).to.equal(200);
    const bundle = Buffer.from((secret.body as { data: Record<string, string> }).data['ca.crt']!, 'base64').toString();
    for (const kind of ['mutating', 'validating'] as const) {
      const cfg = await getWebhookConfig(cp, kind, h.mutating);
      expect(Buffer.from(cfg.webhooks![0]!.clientConfig.caBundle!, 'base64').toString()).to.equal(bundle);
    }
  });

  it('the API server calls the pod webhook over TLS: a created Pod has the sidecar', async () => {
    const cp = cluster();
    const ns = await h.coveredNamespace('inject');
    expect((await createPolicy(cp, ns, policyManifest(ns, 'eu'))).status).to.equal(201);
    const r = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, podManifest('mcp', { 'mcpresidency.io/policy': 'eu' }));
    expect(r.status, r.text).to.equal(201);
    const pod = r.body as Pod;
    expect(pod.spec.initContainers!.map((c) => c.name)).to.deep.equal([CAPTURE_INIT_CONTAINER, SIDECAR_CONTAINER]);
    expect(pod.spec.initContainers!.find((c) => c.name === SIDECAR_CONTAINER)!.restartPolicy).to.equal('Always');
    expect(pod.spec.initContainers!.find((c) => c.name === SIDECAR_CONTAINER)!.args).to.include(`${ns}/eu`);
    // the ServiceAccount plugin's token volume is mounted into the sidecar too
    expect(pod.spec.initContainers!.find((c) => c.name === SIDECAR_CONTAINER)!.volumeMounts!.map((m) => m.mountPath)).to.include('/var/run/secrets/kubernetes.io/serviceaccount');
    expect(pod.spec.volumes!.map((v) => v.name)).to.include('mcp-residency-secret-aoai-key');
    expect(JSON.parse(pod.metadata.annotations![ANNOTATION_STATUS]!)).to.include({ policy: 'eu', image: h.options.sidecar.image });
    expect(pod.spec.containers[0]!.env!.find((e) => e.name === 'HTTPS_PROXY')?.value).to.equal('http://127.0.0.1:15081');

    const plain = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, podManifest('plain'));
    expect(plain.status).to.equal(201);
    expect((plain.body as Pod).spec.initContainers).to.equal(undefined);
    expect((plain.body as Pod).metadata.annotations).to.equal(undefined);

    const metrics = await (await fetch(`http://127.0.0.1:${h.operator.adminPort()}/metrics`)).text();
    expect(metrics).to.match(/mcp_residency_operator_admission_requests_total\{webhook="pods",outcome="injected"\} [1-9]/);
  });

  it('keeps policy status: Ready with observedGeneration, and the enforcing pods counted', async () => {
    const cp = cluster();
    const ns = await h.coveredNamespace('status');
    await createPolicy(cp, ns, policyManifest(ns, 'eu'));
    for (const n of ['a', 'b']) await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, podManifest(n, { 'mcpresidency.io/policy': 'eu' }));
    const p = await eventually('status Ready with 2 enforcing pods', async () => {
      const pol = await getPolicy(cp, ns, 'eu');
      return ready(pol)?.status === 'True' && pol.status?.enforcingPods === 2 ? pol : undefined;
    });
    expect(p.status).to.include({ observedGeneration: 1, enforcingPods: 2, unprotectedPods: 0 });
    expect(ready(p)).to.include({ reason: 'Valid', observedGeneration: 1 });

    await cp.api('DELETE', `/api/v1/namespaces/${ns}/pods/a?gracePeriodSeconds=0`);
    await eventually('enforcing pods back to 1', async () => ((await getPolicy(cp, ns, 'eu')).status?.enforcingPods === 1 ? true : undefined));
  });

  it('capture: a PodSecurity level that forbids the init container is refused with what to do; an opted-out pod counts as unprotected', async () => {
    const cp = cluster();
    const ns = await h.coveredNamespace('psa');
    const labelled = await cp.api('PATCH', `/api/v1/namespaces/${ns}`, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } }, { contentType: 'application/merge-patch+json' });
    expect(labelled.status, labelled.text).to.equal(200);
    await createPolicy(cp, ns, policyManifest(ns, 'eu'));
    const refused = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, podManifest('captured', { 'mcpresidency.io/policy': 'eu' }));
    expect(refused.status, refused.text).to.equal(403);
    expect(refused.text).to.include(`namespace ${ns} has pod-security.kubernetes.io/enforce=baseline, which forbids the capabilities NET_ADMIN and NET_RAW`);
    expect(refused.text).to.include('CNI plugin');

    // Opted out: the sidecar without the init container, which baseline admits; reported as unprotected.
    const optOut = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, podManifest('opted-out', { 'mcpresidency.io/policy': 'eu', 'mcpresidency.io/capture': 'false' }));
    expect(optOut.status, optOut.text).to.equal(201);
    expect((optOut.body as Pod).spec.initContainers!.map((c) => c.name)).to.deep.equal([SIDECAR_CONTAINER]);
    const p = await eventually('the opted-out pod counted as unprotected', async () => {
      const pol = await getPolicy(cp, ns, 'eu');
      return pol.status?.unprotectedPods === 1 ? pol : undefined;
    });
    expect(p.status).to.include({ enforcingPods: 0, unprotectedPods: 1 });
  });

  it('refuses an invalid policy at create with the messages of `policy validate`', async () => {
    const cp = cluster();
    const ns = await h.coveredNamespace('invalid');
    const bad = policyManifest(ns, 'mars', 'mars-1');
    const expected = checkPolicy(bad);
    expect(expected.ok).to.equal(false);
    const r = await cp.kubectl(['create', '-f', '-'], { input: JSON.stringify(bad) });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('denied the request');
    expect(r.stderr).to.include('spec.egress.upstreams[0].region: "mars-1" is not a known region');
    for (const line of expected.ok ? [] : expected.problems) expect(r.stderr).to.include(line);
    expect((await cp.api('GET', `/apis/mcpresidency.io/v1alpha1/namespaces/${ns}/mcpresidencypolicies/mars`)).status).to.equal(404);
  });

  it('marks a stored invalid policy Ready=False reason Invalid with the exact message, and refuses pods naming it', async () => {
    const cp = cluster();
    // Created where the validating webhook does not look (as if before it was registered) ...
    const ns = await cluster().newNamespace('stored');
    const bad = policyManifest(ns, 'mars', 'mars-1');
    expect((await createPolicy(cp, ns, bad)).status).to.equal(201);
    const expected = checkPolicy(bad);
    const p = await eventually('Ready=False', async () => {
      const pol = await getPolicy(cp, ns, 'mars');
      return ready(pol)?.status === 'False' ? pol : undefined;
    });
    expect(ready(p)).to.include({ reason: 'Invalid', message: expected.ok ? '' : expected.message });
    // ... then the namespace comes under the webhooks: the pod is refused, naming policy and reason.
    await cp.api('PATCH', `/api/v1/namespaces/${ns}`, { metadata: { labels: { [TEST_LABEL]: h.selector } } }, { contentType: 'application/merge-patch+json' });
    const r = await eventually('the pod to be refused', async () => {
      const res = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, podManifest('web', { 'mcpresidency.io/policy': 'mars' }));
      return res.status === 403 ? res : (res.status === 201 && (await cp.api('DELETE', `/api/v1/namespaces/${ns}/pods/web`)), undefined);
    });
    expect((r.body as { message: string }).message).to.include('asks for MCPResidencyPolicy "mars", which is invalid: spec.egress.upstreams[0].region: "mars-1" is not a known region');
  });

  it('refuses a pod naming a missing policy, and one that uses hostNetwork, with clear messages', async () => {
    const cp = cluster();
    const ns = await h.coveredNamespace('missing');
    const r = await cp.kubectl(['-n', ns, 'create', '-f', '-'], { input: JSON.stringify(podManifest('web', { 'mcpresidency.io/policy': 'nope' })) });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include(`admission webhook "pods.mcpresidency.io" denied the request: pod ${ns}/web asks for MCPResidencyPolicy "nope", which does not exist in namespace ${ns}`);
    await createPolicy(cp, ns, policyManifest(ns, 'eu'));
    const host = podManifest('host', { 'mcpresidency.io/policy': 'eu' }) as { spec: Record<string, unknown> };
    host.spec.hostNetwork = true;
    const hr = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, host);
    expect(hr.status).to.equal(403);
    expect((hr.body as { message: string }).message).to.include('uses hostNetwork');
  });

  it('finds and counts a pod that runs without the sidecar (Event, status, metric)', async () => {
    const cp = cluster();
    const ns = await cluster().newNamespace('unprotected'); // not covered by the webhook
    await createPolicy(cp, ns, policyManifest(ns, 'eu'));
    const r = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, podManifest('bare', { 'mcpresidency.io/policy': 'eu' }));
    expect(r.status).to.equal(201);
    expect((r.body as Pod).spec.initContainers).to.equal(undefined);
    await eventually('unprotectedPods 1', async () => ((await getPolicy(cp, ns, 'eu')).status?.unprotectedPods === 1 ? true : undefined));
    const ev = await eventually('an Unprotected Event on the pod', async () => {
      const list = await cp.api('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name=bare`);
      return (list.body as { items: { reason: string; type: string; message: string }[] }).items.find((e) => e.reason === 'Unprotected');
    });
    expect(ev.type).to.equal('Warning');
    expect(ev.message).to.include('runs without the mcp-residency-proxy sidecar');
    const metrics = await (await fetch(`http://127.0.0.1:${h.operator.adminPort()}/metrics`)).text();
    expect(metrics).to.include(`mcp_residency_operator_unprotected_pods{namespace="${ns}",policy="eu"} 1`);
  });

  it('lets the sidecar read its policy with the pod\'s service account (operator-kept Role and RoleBinding)', async () => {
    const cp = cluster();
    const ns = await h.coveredNamespace('rbac');
    await createPolicy(cp, ns, policyManifest(ns, 'eu'));
    await cp.api('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: 'mcp' } });
    const pod = podManifest('web', { 'mcpresidency.io/policy': 'eu' }) as { spec: Record<string, unknown> };
    pod.spec.serviceAccountName = 'mcp';
    expect((await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, pod)).status).to.equal(201);
    const token = await cp.tokenFor(ns, 'mcp');
    await eventually('the service account can watch its policy', async () => {
      const r = await cp.api('GET', `/apis/mcpresidency.io/v1alpha1/namespaces/${ns}/mcpresidencypolicies/eu`, undefined, { token });
      return r.status === 200 ? true : undefined;
    });
    const other = await cp.tokenFor(ns, 'unrelated');
    expect((await cp.api('GET', `/apis/mcpresidency.io/v1alpha1/namespaces/${ns}/mcpresidencypolicies/eu`, undefined, { token: other })).status).to.equal(403);
    // the last protected pod gone: the grant goes too
    await cp.api('DELETE', `/api/v1/namespaces/${ns}/pods/web?gracePeriodSeconds=0`);
    await eventually('the RoleBinding removed', async () => ((await cp.api('GET', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings/mcp-residency-sidecar`)).status === 404 ? true : undefined));
  });

  it('repairs a caBundle someone reverted', async () => {
    const cp = cluster();
    const before = await getWebhookConfig(cp, 'mutating', h.mutating);
    const good = before.webhooks![0]!.clientConfig.caBundle;
    const r = await cp.api('PATCH', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${h.mutating}`, [
      { op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: Buffer.from('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n').toString('base64') },
    ], { contentType: 'application/json-patch+json' });
    expect(r.status, r.text).to.equal(200);
    await eventually('the caBundle repaired', async () => ((await getWebhookConfig(cp, 'mutating', h.mutating)).webhooks![0]!.clientConfig.caBundle === good ? true : undefined));
    const ns = await h.coveredNamespace('repaired');
    await createPolicy(cp, ns, policyManifest(ns, 'eu'));
    const pod = await eventually('a pod admitted through the repaired webhook', async () => {
      const res = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, podManifest('web', { 'mcpresidency.io/policy': 'eu' }));
      return res.status === 201 ? (res.body as Pod) : undefined;
    });
    expect(pod.spec.initContainers!.map((c) => c.name)).to.deep.equal([CAPTURE_INIT_CONTAINER, SIDECAR_CONTAINER]);
  });

  it('recovers a watch reset in the middle (RST) and one that went silent (frozen connection)', async () => {
    const cp = cluster();
    const ns = await h.coveredNamespace('watch');
    await createPolicy(cp, ns, policyManifest(ns, 'eu'));
    await eventually('Ready', async () => (ready(await getPolicy(cp, ns, 'eu'))?.status === 'True' ? true : undefined));
    const bump = async (n: number): Promise<void> => {
      const r = await cp.api('PATCH', `/apis/mcpresidency.io/v1alpha1/namespaces/${ns}/mcpresidencypolicies/eu`, { spec: { tools: { default: 'allow', rules: [{ name: `t${n}_*`, action: 'deny' }] } } }, { contentType: 'application/merge-patch+json' });
      expect(r.status, r.text).to.equal(200);
    };
    const observed = (gen: number) => eventually(`observedGeneration ${gen}`, async () => ((await getPolicy(cp, ns, 'eu')).status?.observedGeneration === gen ? true : undefined), 20_000);

    expect(h.proxy.reset()).to.be.greaterThan(0);
    await bump(1);
    await observed(2);

    // Frozen: no error, no close, just silence. Only the idle detector (4 s here) can notice
    // before the next resync (60 s) or re-list (30 min).
    expect(h.proxy.freeze()).to.be.greaterThan(0);
    const t0 = Date.now();
    await bump(2);
    await observed(3);
    expect(Date.now() - t0).to.be.lessThan(20_000);
  });
});

describe('operator: TLS rotation, leader election, least privilege @cluster', function () {
  this.timeout(120_000);
  const cluster = useControlPlane();

  it('rotates the CA with both trusted in the overlap, then moves the served certificate without a restart', async () => {
    const cp = cluster();
    const h = await startHarness(cp, {
      tlsTiming: { caValidityMs: 24_000, caRenewBeforeMs: 18_000, overlapMs: 2_000, servingValidityMs: 60_000, servingRenewBeforeMs: 5_000 },
    });
    try {
      const served = async (): Promise<X509Certificate> => {
        return new Promise((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port: h.operator.webhookPort()!, rejectUnauthorized: false }, () => {
            resolve(new X509Certificate(s.getPeerX509Certificate()!.raw));
            s.end();
          });
          s.on('error', reject);
        });
      };
      const bundleCerts = async (): Promise<X509Certificate[]> => {
        const cfg = await getWebhookConfig(cp, 'mutating', h.mutating);
        const pem = Buffer.from(cfg.webhooks![0]!.clientConfig.caBundle!, 'base64').toString();
        return splitPem(pem).map((c) => new X509Certificate(c));
      };
      const port = h.operator.webhookPort();
      const first = await bundleCerts();
      expect(first).to.have.length(1);
      const firstServed = await served();
      expect(firstServed.verify(first[0]!.publicKey)).to.equal(true);

      const ns = await h.coveredNamespace('rotate');
      await createPolicy(cp, ns, policyManifest(ns, 'eu'));
      let pods = 0;
      const admit = async (): Promise<void> => {
        const r = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, podManifest(`p${pods++}`, { 'mcpresidency.io/policy': 'eu' }));
        expect(r.status, r.text).to.equal(201);
      };
      const both = await eventually('a second CA in the bundle', async () => {
        await admit();
        const b = await bundleCerts();
        return b.length === 2 ? b : undefined;
      }, 30_000, 500);
      expect(both[1]!.fingerprint256).to.equal(first[0]!.fingerprint256, 'the old CA stays trusted during the overlap');
      const moved = await eventually('the served certificate signed by the new CA', async () => {
        await admit();
        const c = await served();
        return c.verify(both[0]!.publicKey) ? c : undefined;
      }, 20_000, 250);
      expect(moved.fingerprint256).to.not.equal(firstServed.fingerprint256);
      expect(h.operator.webhookPort()).to.equal(port);
      await admit();
    } finally {
      await h.stop();
    }
  });

  it('elects one leader among replicas, and hands over when it stops', async () => {
    const cp = cluster();
    const a = await startHarness(cp, { leaderElect: true });
    const b = await startHarness(cp, { leaderElect: true, sharedNamespace: a.namespace, register: false, mutatingWebhookConfigs: [a.mutating], validatingWebhookConfigs: [a.validating] });
    try {
      await eventually('a leader', () => (a.operator.isLeader() || b.operator.isLeader() ? true : undefined));
      expect(a.operator.isLeader() && b.operator.isLeader(), 'two leaders').to.equal(false);
      await b.operator.whenReady(20_000);
      const [leader, follower] = a.operator.isLeader() ? [a, b] : [b, a];
      await leader.operator.stop();
      await eventually('the follower takes over', () => (follower.operator.isLeader() ? true : undefined), 15_000);
      const lease = await cp.api('GET', `/apis/coordination.k8s.io/v1/namespaces/${a.namespace}/leases/mcp-residency-operator`);
      expect((lease.body as { spec: { holderIdentity: string } }).spec.holderIdentity).to.equal(follower.options.identity);
    } finally {
      await b.stop().catch(() => {});
      await a.stop().catch(() => {});
    }
  });

  it('needs no more RBAC than operator/rbac-requirements.ts lists (and no Secret but its own)', async () => {
    const cp = cluster();
    const id = randomBytes(3).toString('hex');
    const ns = `mcpr-rbac-${id}`;
    await cp.createNamespace(ns);
    const names = { mutatingWebhookConfigs: [`mcpr-${id}`], validatingWebhookConfigs: [`mcpr-${id}`], tlsSecret: 'mcp-residency-webhook-tls', leaseName: 'mcp-residency-operator' };
    const subject = [{ kind: 'ServiceAccount', name: 'operator', namespace: ns }];
    const rbac = 'rbac.authorization.k8s.io';
    for (const [path, body] of [
      [`/apis/${rbac}/v1/clusterroles`, { metadata: { name: `mcpr-op-${id}` }, rules: operatorClusterRules(names) }],
      [`/apis/${rbac}/v1/clusterrolebindings`, { metadata: { name: `mcpr-op-${id}` }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: `mcpr-op-${id}` }, subjects: subject }],
      [`/apis/${rbac}/v1/namespaces/${ns}/roles`, { metadata: { name: 'operator' }, rules: operatorNamespaceRules(names) }],
      [`/apis/${rbac}/v1/namespaces/${ns}/rolebindings`, { metadata: { name: 'operator' }, roleRef: { apiGroup: rbac, kind: 'Role', name: 'operator' }, subjects: subject }],
    ] as const) {
      const r = await cp.api('POST', path, body);
      expect(r.status, r.text).to.equal(201);
    }
    const token = await cp.tokenFor(ns, 'operator');
    await eventually('the bindings to take effect', async () => ((await cp.api('GET', '/api/v1/pods?limit=1', undefined, { token })).status === 200 ? true : undefined));
    const other = await cp.newNamespace('secret-owner');
    await cp.api('POST', `/api/v1/namespaces/${other}/secrets`, { metadata: { name: 'db' }, stringData: { password: 'x' } });
    expect((await cp.api('GET', `/api/v1/namespaces/${other}/secrets/db`, undefined, { token })).status).to.equal(403);
    expect((await cp.api('GET', `/api/v1/namespaces/${ns}/secrets`, undefined, { token })).status, 'cannot list Secrets').to.equal(403);

    const op = await startHarness(cp, { token, namespace: ns, leaderElect: true, mutatingWebhookConfigs: names.mutatingWebhookConfigs, validatingWebhookConfigs: names.validatingWebhookConfigs });
    try {
      const app = await op.coveredNamespace('least');
      expect((await createPolicy(cp, app, policyManifest(app, 'eu'))).status).to.equal(201);
      const pod = await cp.api('POST', `/api/v1/namespaces/${app}/pods`, podManifest('web', { 'mcpresidency.io/policy': 'eu' }));
      expect((pod.body as Pod).spec.initContainers?.map((c) => c.name)).to.deep.equal([CAPTURE_INIT_CONTAINER, SIDECAR_CONTAINER]);
      const bare = await cluster().newNamespace('least-bare');
      await createPolicy(cp, bare, policyManifest(bare, 'eu'));
      await cp.api('POST', `/api/v1/namespaces/${bare}/pods`, podManifest('bare', { 'mcpresidency.io/policy': 'eu' }));
      await eventually('status, sidecar RBAC and the Event written with these permissions', async () => {
        const [p1, p2, rb, ev] = await Promise.all([
          getPolicy(cp, app, 'eu'),
          getPolicy(cp, bare, 'eu'),
          cp.api('GET', `/apis/${rbac}/v1/namespaces/${app}/rolebindings/mcp-residency-sidecar`),
          cp.api('GET', `/api/v1/namespaces/${bare}/events?fieldSelector=involvedObject.name=bare`),
        ]);
        const events = (ev.body as { items: { reason: string }[] }).items;
        return p1.status?.enforcingPods === 1 && p2.status?.unprotectedPods === 1 && rb.status === 200 && events.some((e) => e.reason === 'Unprotected') ? true : undefined;
      });
      expect(op.logs.join(''), 'no request was forbidden').to.not.match(/forbidden|HTTP 403/i);
    } finally {
      await op.stop();
      await cp.api('DELETE', `/apis/${rbac}/v1/clusterrolebindings/mcpr-op-${id}`);
      await cp.api('DELETE', `/apis/${rbac}/v1/clusterroles/mcpr-op-${id}`);
    }
  });
});
