// Checks the test control plane itself (test/support/controlplane.ts): the things other
// `@cluster` suites rely on.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { useControlPlane } from '../support/controlplane.ts';
import { eventually as poll } from '../support/eventually.ts';

const crdDir = fileURLToPath(new URL('../../crds/', import.meta.url));

interface Condition {
  type: string;
  status: string;
}

const eventually = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => poll(what, fn, 15_000, 100);

describe('test control plane @cluster', function () {
  const cluster = useControlPlane();

  it('serves the pinned Kubernetes version over TLS with the admin kubeconfig', async () => {
    const cp = cluster();
    expect(cp.server).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(readFileSync(cp.kubeconfigPath, 'utf8')).to.include(cp.server);
    const r = await cp.kubectl(['version', '-o', 'json']);
    expect(r.code, r.stderr).to.equal(0);
    const v = JSON.parse(r.stdout) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
    expect(v.serverVersion.gitVersion).to.equal(cp.binaries.versions.kubernetes);
    expect(v.clientVersion.gitVersion).to.equal(cp.binaries.versions.kubernetes);
  });

  it('enforces RBAC: a ServiceAccount with no bindings gets 403, and a RoleBinding lets it in', async () => {
    const cp = cluster();
    const ns = await cp.newNamespace('rbac');
    const token = await cp.tokenFor(ns, 'nobody');

    const denied = await cp.api('GET', `/api/v1/namespaces/${ns}/pods`, undefined, { token });
    expect(denied.status, denied.text).to.equal(403);
    expect((denied.body as { message: string }).message).to.include(`system:serviceaccount:${ns}:nobody`);

    const admin = await cp.api('GET', `/api/v1/namespaces/${ns}/pods`);
    expect(admin.status, admin.text).to.equal(200);

    const canI = await cp.kubectl(['auth', 'can-i', 'list', 'pods', '-n', ns, `--as=system:serviceaccount:${ns}:nobody`]);
    expect(canI.stdout.trim()).to.equal('no');

    await cp.apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: nobody-view, namespace: ${ns} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view }
subjects: [ { kind: ServiceAccount, name: nobody, namespace: ${ns} } ]
`);
    // The RBAC authorizer reads bindings from an informer: give it a moment.
    await eventually('the RoleBinding to take effect', async () => {
      const r = await cp.api('GET', `/api/v1/namespaces/${ns}/pods`, undefined, { token });
      return r.status === 200 ? r : undefined;
    });
  });

  it('issues audience-scoped ServiceAccount tokens (TokenRequest + TokenReview)', async () => {
    const cp = cluster();
    const ns = await cp.newNamespace('tokens');
    const token = await cp.tokenFor(ns, 'agent', 'api://crm-mcp', 600);
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { aud: string[]; iss: string; sub: string };
    expect(payload.aud).to.deep.equal(['api://crm-mcp']);
    expect(payload.iss).to.equal(cp.serviceAccountIssuer);
    expect(payload.sub).to.equal(`system:serviceaccount:${ns}:agent`);

    const review = await cp.api('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, audiences: ['api://crm-mcp'] },
    });
    expect(review.status, review.text).to.equal(201);
    const status = (review.body as { status: { authenticated?: boolean; user?: { username: string } } }).status;
    expect(status.authenticated).to.equal(true);
    expect(status.user?.username).to.equal(`system:serviceaccount:${ns}:agent`);

    // A token for another audience is not accepted by the API server itself.
    const r = await cp.api('GET', '/api', undefined, { token });
    expect(r.status).to.equal(401);
  });

  it('installs every CRD in crds/ and they are Established', async function () {
    const cp = cluster();
    const expected: string[] = [];
    if (existsSync(crdDir)) {
      for (const f of readdirSync(crdDir).filter((f) => /\.ya?ml$/.test(f))) {
        for (const doc of parseAllDocuments(readFileSync(join(crdDir, f), 'utf8'))) {
          const obj = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
          if (obj?.kind === 'CustomResourceDefinition' && obj.metadata?.name) expected.push(obj.metadata.name);
        }
      }
    }
    if (expected.length === 0) this.skip(); // nothing in crds/ yet
    expect([...cp.crds].sort()).to.deep.equal([...expected].sort());
    for (const name of expected) {
      const r = await cp.api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      expect(r.status, r.text).to.equal(200);
      const crd = r.body as { spec: { names: { plural: string } }; status: { conditions: Condition[] } };
      expect(crd.status.conditions.find((c) => c.type === 'Established')?.status, `${name} Established`).to.equal('True');
      // and the resource is served: kubectl can list it
      const list = await cp.kubectl(['get', name, '--all-namespaces', '-o', 'name']);
      expect(list.code, list.stderr).to.equal(0);
    }
  });

  it('creates a Namespace and a Pod, which stays Pending with the ServiceAccount admission applied', async () => {
    const cp = cluster();
    const ns = await cp.newNamespace('pods');
    const sa = await cp.api('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`);
    expect(sa.status, 'createNamespace creates the default ServiceAccount').to.equal(200);

    await cp.apply(`
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: ${ns} }
spec:
  containers: [ { name: web, image: registry.example/web:1, ports: [ { containerPort: 8080 } ] } ]
`);
    const r = await cp.api('GET', `/api/v1/namespaces/${ns}/pods/web`);
    expect(r.status, r.text).to.equal(200);
    const pod = r.body as {
      spec: { serviceAccountName: string; nodeName?: string; volumes?: { name: string; projected?: unknown }[] };
      status: { phase: string };
    };
    expect(pod.status.phase).to.equal('Pending');
    expect(pod.spec.nodeName).to.equal(undefined);
    expect(pod.spec.serviceAccountName).to.equal('default');
    expect(pod.spec.volumes?.some((v) => v.name.startsWith('kube-api-access-') && v.projected)).to.equal(true);
  });

  it('gives namespaces created by other means a default ServiceAccount too', async () => {
    const cp = cluster();
    const ns = `kubectl-made-${Date.now().toString(36)}`;
    const r = await cp.kubectl(['create', 'namespace', ns]);
    expect(r.code, r.stderr).to.equal(0);
    await eventually('the default ServiceAccount', async () => {
      const sa = await cp.api('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`);
      return sa.status === 200 ? sa : undefined;
    });
  });

  it('runs ValidatingAdmissionPolicy admission', async () => {
    const cp = cluster();
    const ns = await cp.newNamespace('vap');
    const name = `deny-marked-configmaps-${ns}`;
    await cp.apply(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: ${name} }
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [ { apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps] } ]
  validations:
    - expression: "!has(object.metadata.labels) || !('deny' in object.metadata.labels)"
      message: denied by the test policy
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: { name: ${name} }
spec:
  policyName: ${name}
  validationActions: [Deny]
  matchResources:
    namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: ${ns} } }
`);
    try {
      let i = 0;
      const refusal = await eventually('the policy to take effect', async () => {
        const r = await cp.api('POST', `/api/v1/namespaces/${ns}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i++}`, labels: { deny: 'yes' } },
        });
        return r.status === 201 ? undefined : r;
      });
      expect(refusal.status, refusal.text).to.be.oneOf([403, 422]);
      expect(refusal.text).to.include('denied by the test policy');
      const allowed = await cp.api('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } });
      expect(allowed.status, allowed.text).to.equal(201);
    } finally {
      await cp.kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', name, '--ignore-not-found']);
    }
  });

  it('has a working helm', async () => {
    const cp = cluster();
    const v = await cp.helm(['version', '--short']);
    expect(v.code, v.stderr).to.equal(0);
    expect(v.stdout.trim()).to.match(new RegExp(`^${cp.binaries.versions.helm.replace(/\./g, '\\.')}\\b`));
    const list = await cp.helm(['list', '--all-namespaces', '-o', 'json']);
    expect(list.code, list.stderr).to.equal(0);
    expect(JSON.parse(list.stdout)).to.be.an('array');
  });
});
