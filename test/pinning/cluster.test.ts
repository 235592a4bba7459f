// Tool pinning in a cluster, on the real API server with the operator's webhooks: two sidecars
// of one policy (two pods) in front of a v1 SDK server that poisons a tool's description at run
// time. The change becomes one MCPApproval of kind tool, the policy's status and Events say a
// tool waits for review, the API server refuses the decision of a non-member and of the
// principal who met the change, and an approver's pin reaches both sidecars and a restarted one.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { POISONED_SEARCH, startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { silentLogger } from '../../lib/log.ts';
import type { ApprovalObject, PolicyObject } from '../../policy/types.ts';
import { readAuditRecords } from '../../sidecar/audit/layout.ts';
import { startSidecar, type RunningSidecar } from '../../sidecar/main.ts';
import { livePins } from '../../sidecar/pinning/live.ts';
import { startHarness, type Harness } from '../operator/harness.ts';
import { runCli } from '../support/cli.ts';
import { tokenKubeconfig, useControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { impersonatingKubeconfigs } from '../support/impersonate.ts';
import { AUDIENCE } from '../support/crm.ts';
import { startIssuer, type TestClient, type TestIssuer } from '../support/oidc.ts';
import { eventually, waitReady } from '../support/sidecar.ts';

const ALICE: TestClient = { id: 'alice', secret: 'a', groups: ['privacy-officers'] };

describe('tool pinning in a cluster @cluster', function () {
  this.timeout(120_000);
  const cluster = useControlPlane();
  let cp: ControlPlane;
  let harness: Harness;
  let issuer: TestIssuer;
  let server: RunningSampleServer;
  let ns: string;
  let dir: string;
  let sidecarKubeconfig: string;
  const sidecars: RunningSidecar[] = [];
  const clients: Client[] = [];
  const kubeconfigAs: Record<string, string> = {};

  const startPodSidecar = async (pod: string): Promise<RunningSidecar> => {
    const s = await startSidecar(
      {
        policyRef: { namespace: ns, name: 'crm' },
        kubeconfig: sidecarKubeconfig,
        podName: pod,
        upstream: new URL(server.origin),
        listen: { host: '127.0.0.1', port: 0 },
        egressListen: { host: '127.0.0.1', port: 0 },
        adminListen: { host: '127.0.0.1', port: 0 },
        auditDir: join(dir, `audit-${pod}`),
      },
      { logger: silentLogger },
    );
    sidecars.push(s);
    await waitReady(s, 10_000);
    return s;
  };
  const connect = async (s: RunningSidecar): Promise<Client> => {
    const client = new Client({ name: 'agent-alice', version: '1' });
    const token = await issuer.token(ALICE, { resource: AUDIENCE });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${s.urls.mcp}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  };
  const names = async (c: Client): Promise<string[]> => (await c.listTools()).tools.map((t) => t.name);
  const toolApprovals = async (): Promise<ApprovalObject[]> => {
    const r = await cp.kubectl(['get', 'mcpapprovals', '-n', ns, '-l', 'mcpresidency.io/kind=tool', '-o', 'json']);
    return (JSON.parse(r.stdout) as { items: ApprovalObject[] }).items;
  };
  const tools = (who: string, args: string[]): ReturnType<typeof runCli> => runCli(['tools', ...args, '-n', ns, '--kubeconfig', kubeconfigAs[who]!]);

  before(async () => {
    cp = cluster();
    harness = await startHarness(cp);
    ns = await harness.coveredNamespace('pinning');
    issuer = await startIssuer([ALICE]);
    server = await startSampleServer('streamable');
    dir = await mkdtemp(join(tmpdir(), 'pinning-cluster-'));
    const pins = await livePins(new URL(server.url));
    await cp.apply(`apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm, namespace: ${ns} }
spec:
  authentication: { issuer: "${issuer.issuer}", audiences: ["${AUDIENCE}"] }
  tools:
    pinning: enforce
    pins: ${JSON.stringify(pins)}
  approval: { approverGroups: [privacy-officers] }
`);
    for (const pod of ['crm-0', 'crm-1']) {
      const r = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod, annotations: { 'mcpresidency.io/policy': 'crm', 'mcpresidency.io/port': new URL(server.origin).port } },
        spec: { containers: [{ name: 'server', image: 'registry.example.com/crm:1' }] },
      });
      expect(r.status, r.text).to.equal(201);
    }
    await eventually('the operator granted the sidecars their Role', async () => {
      const r = await cp.kubectl(['auth', 'can-i', 'create', 'mcpapprovals.mcpresidency.io', '-n', ns, `--as=system:serviceaccount:${ns}:default`]);
      return r.stdout.trim() === 'yes' ? true : undefined;
    });
    await cp.apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: mcp-residency-pin-approver-test }
rules:
  - { apiGroups: [mcpresidency.io], resources: [mcpapprovals], verbs: [get, list, watch] }
  - { apiGroups: [mcpresidency.io], resources: [mcpapprovals/status], verbs: [get, update, patch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: approvers, namespace: ${ns} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: mcp-residency-pin-approver-test }
subjects:
  - { apiGroup: rbac.authorization.k8s.io, kind: Group, name: privacy-officers }
  - { apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory }
`);
    Object.assign(kubeconfigAs, await impersonatingKubeconfigs(cp, dir, { carol: ['privacy-officers'], alice: ['privacy-officers'], mallory: ['sales'] }));
    sidecarKubeconfig = join(dir, 'sidecar-kubeconfig');
    await writeFile(sidecarKubeconfig, tokenKubeconfig(cp, await cp.tokenFor(ns, 'default'), { namespace: ns }));
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of sidecars) await s.close().catch(() => undefined);
    await server?.close();
    await issuer?.close();
    await cp?.kubectl(['delete', 'clusterrole', 'mcp-residency-pin-approver-test', '--ignore-not-found']);
    await harness?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('holds a poisoned definition for review across both pods and pins the approved one for both, and for a restarted sidecar', async () => {
    const first = await startPodSidecar('crm-0');
    const second = await startPodSidecar('crm-1');
    const a = await connect(first);
    const b = await connect(second);
    expect(await names(a)).to.include('search_customers');
    expect(await names(b)).to.include('search_customers');

    server.descriptions.set('search_customers', POISONED_SEARCH);
    expect(await names(a)).to.not.include('search_customers');
    expect(await names(b)).to.not.include('search_customers');
    const refused = await b.callTool({ name: 'search_customers', arguments: { query: 'jane' } }).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    expect(refused).to.match(/changed since it was pinned .* kubectl mcp-residency tools diff tool-search-customers-[0-9a-f]{12} -n /u);

    // Both pods met the same change: one object, found by name.
    const [change] = await eventually('one pending tool change', async () => {
      const items = await toolApprovals();
      return items.length === 1 && items[0]!.status?.phase === 'Pending' ? items : undefined;
    }, 15_000);
    const name = change!.metadata.name;
    expect(change!.spec).to.include({ kind: 'tool', tool: 'search_customers', policy: 'crm' });
    expect(change!.spec.requester.sub).to.equal('alice');

    const mrp = await eventually('the policy status counts it', async () => {
      const p = JSON.parse((await cp.kubectl(['get', 'mrp', 'crm', '-n', ns, '-o', 'json'])).stdout) as PolicyObject;
      return p.status?.toolsPendingReview === 1 ? p : undefined;
    }, 15_000);
    expect(mrp.status?.toolsPendingReview).to.equal(1);
    const table = await cp.kubectl(['get', 'mrp', 'crm', '-n', ns]);
    expect(table.stdout.split('\n')[0]).to.include('TOOLS-REVIEW');
    const events = await eventually('an Event on the policy', async () => {
      const r = await cp.kubectl(['get', 'events', '-n', ns, '--field-selector', 'reason=ToolDefinitionChanged,involvedObject.name=crm', '-o', 'json']);
      const items = (JSON.parse(r.stdout) as { items: { message: string }[] }).items;
      return items.length > 0 ? items : undefined;
    }, 15_000);
    expect(events[0]!.message).to.include(`the definition of tool "search_customers" changed since it was pinned (${change!.spec.argumentsDigest}), seen by alice`);

    const diff = await tools('carol', ['diff', name]);
    expect(diff.code, diff.stderr).to.equal(0);
    expect(diff.stdout).to.include(`search_customers.description:\n  - Find customers whose name contains a text.\n  + ${POISONED_SEARCH}\n`);
    const byMallory = await tools('mallory', ['approve', name]);
    expect([byMallory.code, byMallory.stderr]).to.deep.equal([1, `mcp-residency: MCPApproval "${name}": mallory is not in the approver groups [privacy-officers] of policy crm\n`]);
    const byAlice = await tools('alice', ['approve', name]);
    expect(byAlice.stderr).to.include('nobody may decide on a tool change their own tools/list revealed');
    expect(await names(a)).to.not.include('search_customers');

    const byCarol = await tools('carol', ['approve', name, '--reason', 'vendor release 2.1']);
    expect(byCarol.stdout, byCarol.stderr).to.equal(`approved mcpapproval/${name} (search_customers, requested by alice) as carol\n`);
    const decided = (await toolApprovals())[0]!;
    expect(decided.status).to.include({ phase: 'Approved', decidedBy: 'carol', argumentsDigest: change!.spec.argumentsDigest });
    for (const c of [a, b]) await eventually('the pin reached the sidecar', async () => ((await names(c)).includes('search_customers') ? true : undefined), 15_000);
    expect((await b.callTool({ name: 'search_customers', arguments: { query: 'jane' } })).isError).to.not.equal(true);
    await eventually('the status has nothing pending', async () => {
      const p = JSON.parse((await cp.kubectl(['get', 'mrp', 'crm', '-n', ns, '-o', 'json'])).stdout) as PolicyObject;
      return p.status?.toolsPendingReview === 0 ? true : undefined;
    }, 15_000);

    const records = await readAuditRecords(join(dir, `audit-${change!.spec.pod ?? ''}`));
    expect(records.find((r) => r.method === 'tools/list' && r.tool === 'search_customers')?.reason).to.match(/^tools\.pinning enforce: definition changed/u);
    const decision = await eventually('the decision in the audit log of the pod that asked', async () =>
      (await readAuditRecords(join(dir, `audit-${change!.spec.pod ?? ''}`))).find((r) => r.kind === 'approval' && r.tool === 'search_customers'),
    );
    expect([decision.decision, decision.principal.sub, decision.approval?.digest]).to.deep.equal(['approved', 'carol', change!.spec.argumentsDigest]);

    // A restarted sidecar reads the approved pin from the API server before it serves.
    await first.close();
    const again = await startPodSidecar('crm-0');
    expect(await names(await connect(again))).to.include('search_customers');
  });
});
