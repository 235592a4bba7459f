// An approver whose kubeconfig user is an exec credential plugin (what kubelogin, aws eks
// get-token and gke-gcloud-auth-plugin write), against the real API server.
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../kube/client.ts';
import { parseKubeconfig } from '../../kube/config.ts';
import { APPROVALS } from '../../kube/resources.ts';
import { runCli } from '../support/cli.ts';
import { useControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { execCredential, execKubeconfig, writeExecPlugin, type ExecPlugin } from '../support/exec-plugin.ts';

const V1 = 'client.authentication.k8s.io/v1';

describe('approvals with an exec credential plugin @cluster', function () {
  this.timeout(60_000);
  const cluster = useControlPlane();
  let cp: ControlPlane;
  let ns: string;
  let dir: string;
  let plugin: ExecPlugin;
  let token: string;
  let config: string;
  const inAnHour = (): string => new Date(Date.now() + 3600_000).toISOString();

  before(async () => {
    cp = cluster();
    ns = await cp.newNamespace('exec');
    dir = await mkdtemp(join(tmpdir(), 'exec-approver-'));
    plugin = await writeExecPlugin(dir, 'kubelogin');
    await cp.apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: approvals-reader, namespace: ${ns} }
rules: [ { apiGroups: [mcpresidency.io], resources: [mcpapprovals], verbs: [get, list] } ]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: approver-reads, namespace: ${ns} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: approvals-reader }
subjects: [ { kind: ServiceAccount, name: approver, namespace: ${ns} } ]
---
apiVersion: mcpresidency.io/v1alpha1
kind: MCPApproval
metadata: { name: export-customers-x7k2p, namespace: ${ns} }
spec:
  policy: crm
  pod: crm-0
  tool: export_customers
  arguments: '{"email":"[EMAIL]"}'
  argumentsDigest: sha256:${'a'.repeat(64)}
  requester: { sub: alice }
  requestedAt: "${new Date().toISOString()}"
  expiresAt: "${inAnHour()}"
`);
    token = await cp.tokenFor(ns, 'approver', undefined, 3600);
    config = join(dir, 'kubeconfig');
    await writeFile(config, execKubeconfig(cp.server, cp.caPem, { apiVersion: V1, command: './kubelogin', args: ['get-token'], interactiveMode: 'Never', installHint: 'install kubelogin' }, ns));
  });

  after(async () => {
    await cp?.kubectl(['delete', 'namespace', ns, '--wait=false']);
    await rm(dir, { recursive: true, force: true });
  });

  it('lists approvals with the token the plugin prints', async () => {
    await plugin.answer(execCredential({ token, expirationTimestamp: inAnHour() }));
    const r = await runCli(['approvals', 'list', '--kubeconfig', config]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/export-customers-x7k2p\s+export_customers\s+alice\s+Pending/u);
    expect(await plugin.runs()).to.equal(1);
  });

  it('keeps the token until it expires, and runs the plugin again when the API server answers 401', async () => {
    const before = await plugin.runs();
    await plugin.answer(execCredential({ token, expirationTimestamp: inAnHour() }));
    const client = new KubeClient(parseKubeconfig(await readFile(config, 'utf8'), dir));
    try {
      for (let i = 0; i < 3; i++) expect((await client.list(APPROVALS, { namespace: ns })).items).to.have.length(1);
      expect(await plugin.runs(), 'one run for three requests').to.equal(before + 1);
      // The cached token stops working (revoked, rotated): the next request gets a 401 and the plugin runs again.
      client.connection.exec!.invalidate();
      await plugin.answer(execCredential({ token: 'revoked-token', expirationTimestamp: inAnHour() }), before + 2);
      expect((await client.list(APPROVALS, { namespace: ns })).items).to.have.length(1);
      expect(await plugin.runs(), 'the bad token was replaced after the 401').to.equal(before + 3);
    } finally {
      client.close();
    }
  });

  it('authenticates with the client certificate the plugin prints', async () => {
    await plugin.answer(execCredential({ clientCertificateData: cp.adminCertPem, clientKeyData: cp.adminKeyPem }));
    const r = await runCli(['approvals', 'list', '--kubeconfig', config, '-A']);
    expect(r.stderr).to.equal('');
    expect(r.stdout).to.match(new RegExp(`${ns}\\s+export-customers-x7k2p`, 'u'));
  });

  it('names the plugin and says why when it fails, and gives the installHint when it is missing', async () => {
    await writeFile(join(dir, 'fail'), 'AADSTS50173: the provided grant has expired; run kubelogin remove-tokens');
    const failing = await runCli(['approvals', 'list', '--kubeconfig', config]);
    await rm(join(dir, 'fail'));
    expect(failing.code).to.equal(1);
    expect(failing.stderr).to.include(`exec plugin ${join(dir, 'kubelogin')} exited with code 3: AADSTS50173: the provided grant has expired`);
    const missing = join(dir, 'kubeconfig-missing');
    await writeFile(missing, execKubeconfig(cp.server, cp.caPem, { apiVersion: V1, command: 'kubelogin-absent', interactiveMode: 'Never', installHint: 'kubelogin is not installed: az aks install-cli' }, ns));
    const absent = await runCli(['approvals', 'list', '--kubeconfig', missing]);
    expect(absent.code).to.equal(1);
    expect(absent.stderr).to.include('exec plugin kubelogin-absent is not installed (not found on PATH)\n\nkubelogin is not installed: az aks install-cli');
  });
});
