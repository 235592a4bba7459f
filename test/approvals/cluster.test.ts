// Just-in-time approval in a cluster, on the real API server with the operator's webhooks and
// the official MCP SDK client: a held call waits (with progress), an approver decides with
// `mcp-residency approvals`, and the API server itself refuses decisions by the wrong people.
import { expect } from 'chai';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { KubeClient } from '../../kube/client.ts';
import { parseKubeconfig } from '../../kube/config.ts';
import { APPROVALS } from '../../kube/resources.ts';
import type { ApprovalObject } from '../../policy/types.ts';
import { readAuditRecords } from '../../sidecar/audit/layout.ts';
import { startSidecar, type RunningSidecar } from '../../sidecar/main.ts';
import { silentLogger } from '../../lib/log.ts';
import { startHarness, type Harness } from '../operator/harness.ts';
import { runCli } from '../support/cli.ts';
import { tokenKubeconfig, useControlPlane, type ControlPlane } from '../support/controlplane.ts';
import { impersonatingKubeconfigs } from '../support/impersonate.ts';
import { AUDIENCE } from '../support/crm.ts';
import { startIssuer, type TestClient, type TestIssuer } from '../support/oidc.ts';
import { eventually, waitReady } from '../support/sidecar.ts';

const ALICE: TestClient = { id: 'alice', secret: 'a', groups: ['privacy-officers'] };
const ERIN: TestClient = { id: 'erin', secret: 'e', groups: ['privacy-officers'] };

describe('approvals in a cluster @cluster', function () {
  this.timeout(90_000);
  const cluster = useControlPlane();
  let cp: ControlPlane;
  let harness: Harness;
  let issuer: TestIssuer;
  let server: RunningSampleServer;
  let ns: string;
  let dir: string;
  let sidecarKubeconfig: string;
  let sidecar: RunningSidecar;
  const kubeconfigAs: Record<string, string> = {};

  const policy = (timeoutSeconds: number): string => `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm, namespace: ${ns} }
spec:
  authentication: { issuer: "${issuer.issuer}", audiences: ["${AUDIENCE}"] }
  tools:
    rules:
      - { name: "export_*", groups: [privacy-officers], action: approve }
      - { name: "export_*", action: deny }
  approval: { approverGroups: [privacy-officers], timeoutSeconds: ${timeoutSeconds} }
`;

  const startTheSidecar = async (): Promise<RunningSidecar> => {
    const s = await startSidecar(
      {
        policyRef: { namespace: ns, name: 'crm' },
        kubeconfig: sidecarKubeconfig,
        podName: 'crm-0',
        upstream: new URL(server.origin),
        listen: { host: '127.0.0.1', port: 0 },
        egressListen: { host: '127.0.0.1', port: 0 },
        adminListen: { host: '127.0.0.1', port: 0 },
        auditDir: join(dir, 'audit'),
        secretsDir: join(dir, 'secrets'),
      },
      { logger: silentLogger },
    );
    await waitReady(s, 10_000);
    return s;
  };

  const connect = async (who: TestClient): Promise<Client> => {
    const client = new Client({ name: `agent-${who.id}`, version: '1' });
    const token = await issuer.token(who, { resource: AUDIENCE });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${sidecar.urls.mcp}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  };

  const approvals = async (): Promise<ApprovalObject[]> => {
    const r = await cp.kubectl(['get', 'mcpapprovals', '-n', ns, '-o', 'json']);
    return (JSON.parse(r.stdout) as { items: ApprovalObject[] }).items;
  };
  const pendingOne = (exclude: string[] = []): Promise<ApprovalObject> =>
    eventually('a pending approval', async () => (await approvals()).find((a) => (a.status?.phase ?? 'Pending') === 'Pending' && !exclude.includes(a.metadata.name)), 15_000);
  const cli = (who: string, args: string[]): ReturnType<typeof runCli> => runCli(['approvals', ...args, '-n', ns, '--kubeconfig', kubeconfigAs[who]!]);

  before(async () => {
    cp = cluster();
    harness = await startHarness(cp);
    ns = await harness.coveredNamespace('approvals');
    issuer = await startIssuer([ALICE, ERIN]);
    server = await startSampleServer('streamable');
    dir = await mkdtemp(join(tmpdir(), 'approvals-'));
    await cp.apply(policy(60));
    const pod = await cp.api('POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crm-0', annotations: { 'mcpresidency.io/policy': 'crm', 'mcpresidency.io/port': new URL(server.origin).port } },
      spec: { containers: [{ name: 'server', image: 'registry.example.com/crm:1' }] },
    });
    expect(pod.status, pod.text).to.equal(201);
    await eventually('the operator granted the sidecar its Role', async () => {
      const r = await cp.kubectl(['auth', 'can-i', 'patch', 'mcpapprovals.mcpresidency.io', '--subresource=status', '-n', ns, `--as=system:serviceaccount:${ns}:default`]);
      return r.stdout.trim() === 'yes' ? true : undefined;
    });
    // What the chart does for approvers: a ClusterRole bound to their group.
    await cp.apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: mcp-residency-approver-test }
rules:
  - { apiGroups: [mcpresidency.io], resources: [mcpapprovals], verbs: [get, list, watch] }
  - { apiGroups: [mcpresidency.io], resources: [mcpapprovals/status], verbs: [get, update, patch] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: mcp-residency-approver-test }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: mcp-residency-approver-test }
subjects: [ { apiGroup: rbac.authorization.k8s.io, kind: Group, name: privacy-officers } ]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: mallory-can-write, namespace: ${ns} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: mcp-residency-approver-test }
subjects: [ { apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory } ]
`);
    // Approvers as the API server sees them: the admin acting as each user (kubectl --as).
    Object.assign(kubeconfigAs, await impersonatingKubeconfigs(cp, dir, { carol: ['privacy-officers'], alice: ['privacy-officers'], mallory: ['sales'] }));
    const token = await cp.tokenFor(ns, 'default');
    sidecarKubeconfig = join(dir, 'sidecar-kubeconfig');
    await writeFile(sidecarKubeconfig, tokenKubeconfig(cp, token, { namespace: ns }));
    sidecar = await startTheSidecar();
  });

  after(async () => {
    await sidecar?.close();
    await server?.close();
    await issuer?.close();
    await harness?.stop();
  });

  it('holds the call, shows progress, and runs it once an approver approves', async () => {
    const alice = await connect(ALICE);
    try {
      const progress: unknown[] = [];
      const call = alice.callTool({ name: 'export_customers', arguments: { format: 'csv' } }, undefined, { onprogress: (p) => progress.push(p), timeout: 60_000 });
      const held = await pendingOne();
      expect(held.spec).to.include({ tool: 'export_customers', policy: 'crm', pod: 'crm-0' });
      expect(held.spec.requester.sub).to.equal('alice');
      expect(held.spec.argumentsDigest).to.match(/^sha256:[0-9a-f]{64}$/);
      expect(server.calls.get('export_customers') ?? 0).to.equal(0);

      const list = await cli('carol', ['list']);
      expect(list.stdout).to.include(held.metadata.name).and.to.include('export_customers').and.to.include('alice');
      const approve = await cli('carol', ['approve', held.metadata.name, '--reason', 'quarterly report']);
      expect(approve.code, approve.stderr).to.equal(0);
      expect(approve.stdout).to.include(`approved mcpapproval/${held.metadata.name} (export_customers, requested by alice) as carol`);

      const result = (await call) as { content: { text: string }[] };
      expect(result.content[0]!.text).to.include('[EMAIL]').and.not.include('@example');
      expect(server.calls.get('export_customers')).to.equal(1);
      expect(progress.length).to.be.at.least(1);
      const after = (await approvals()).find((a) => a.metadata.name === held.metadata.name)!;
      expect(after.status).to.include({ phase: 'Used', decidedBy: 'carol', reason: 'quarterly report' });

      const records = await readAuditRecords(join(dir, 'audit'));
      const approvalRecords = records.filter((r) => r.kind === 'approval');
      expect(approvalRecords.map((r) => (r.approval as { phase: string }).phase)).to.include.members(['requested', 'approved']);
      const mcp = records.find((r) => r.kind === 'mcp' && r.tool === 'export_customers');
      expect(mcp?.decision).to.equal('approved');
      expect(approvalRecords.every((r) => r.callId === mcp?.callId)).to.equal(true);
    } finally {
      await alice.close();
    }
  });

  it('returns a tool error naming who rejected it and why', async () => {
    const alice = await connect(ALICE);
    try {
      const outcome = alice.callTool({ name: 'export_customers', arguments: { format: 'json' } }, undefined, { timeout: 60_000 }).then(
        () => 'answered',
        (err: Error) => err.message,
      );
      const held = await pendingOne();
      const deny = await cli('carol', ['deny', held.metadata.name, '--reason', 'not this week']);
      expect(deny.code, deny.stderr).to.equal(0);
      expect(await outcome).to.include('rejected by carol: not this week');
    } finally {
      await alice.close();
    }
  });

  it('refuses a decision by someone outside the approver groups, even with RBAC to write it', async () => {
    const alice = await connect(ALICE);
    try {
      const call = alice.callTool({ name: 'export_customers', arguments: { format: 'csv', note: 'mallory' } }, undefined, { timeout: 60_000 }).catch(() => undefined);
      const held = await pendingOne();
      const r = await cli('mallory', ['approve', held.metadata.name]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('mallory is not in the approver groups [privacy-officers] of policy crm');
      expect(r.stderr).to.not.match(/\n\s+at /);
      await cli('carol', ['deny', held.metadata.name]);
      await call;
    } finally {
      await alice.close();
    }
  });

  it('refuses a decision by the requester', async () => {
    const alice = await connect(ALICE);
    try {
      const call = alice.callTool({ name: 'export_customers', arguments: { format: 'csv', note: 'self' } }, undefined, { timeout: 60_000 }).catch(() => undefined);
      const held = await pendingOne();
      const r = await cli('alice', ['approve', held.metadata.name]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('nobody may decide on their own call');
      await cli('carol', ['deny', held.metadata.name]);
      await call;
    } finally {
      await alice.close();
    }
  });

  it('binds an approval to its call: another digest, a second use, or a later change are refused', async () => {
    const alice = await connect(ALICE);
    try {
      const first = alice.callTool({ name: 'export_customers', arguments: { format: 'csv', batch: 1 } }, undefined, { timeout: 60_000 });
      const a1 = await pendingOne();
      expect((await cli('carol', ['approve', a1.metadata.name])).code).to.equal(0);
      await first;
      const second = alice.callTool({ name: 'export_customers', arguments: { format: 'csv', batch: 2 } }, undefined, { timeout: 60_000 }).catch(() => undefined);
      const a2 = await pendingOne([a1.metadata.name]);
      expect(a2.spec.argumentsDigest).to.not.equal(a1.spec.argumentsDigest);
      const asCarol = (patch: object, name: string) =>
        cp.kubectl(['patch', 'mcpapproval', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify(patch), '--as=carol', '--as-group=privacy-officers']);
      // The first approval replayed for the second call's arguments.
      const replay = await asCarol({ status: { phase: 'Approved', decidedBy: 'carol', argumentsDigest: a1.spec.argumentsDigest } }, a2.metadata.name);
      expect(replay.code).to.not.equal(0);
      expect(replay.stderr).to.include(`the decision is for arguments ${a1.spec.argumentsDigest}, but this approval is for ${a2.spec.argumentsDigest}`);
      // The used approval cannot be approved again, nor its decision rewritten.
      const reuse = await asCarol({ status: { phase: 'Approved', decidedBy: 'carol', argumentsDigest: a1.spec.argumentsDigest } }, a1.metadata.name);
      expect(reuse.stderr).to.include('decided once and used once: Used to Approved is not allowed');
      // decidedBy must be the deciding user.
      const forged = await asCarol({ status: { phase: 'Approved', decidedBy: 'the-ciso', argumentsDigest: a2.spec.argumentsDigest } }, a2.metadata.name);
      expect(forged.stderr).to.include('status.decidedBy must be the deciding user (carol), not the-ciso');
      await cli('carol', ['deny', a2.metadata.name]);
      await second;
      expect(server.calls.get('export_customers')).to.equal(2);
    } finally {
      await alice.close();
    }
  });

  it('keeps many calls waiting at once and runs each on its own approval', async () => {
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => connect(ALICE)));
    try {
      const before = server.calls.get('export_customers') ?? 0;
      const calls = clients.map((c, i) => c.callTool({ name: 'export_customers', arguments: { format: 'csv', n: i } }, undefined, { timeout: 60_000 }));
      const held = await eventually('five pending approvals', async () => {
        const p = (await approvals()).filter((a) => (a.status?.phase ?? 'Pending') === 'Pending');
        return p.length >= 5 ? p : undefined;
      });
      expect(new Set(held.map((a) => a.spec.argumentsDigest)).size).to.equal(5);
      for (const a of held) expect((await cli('carol', ['approve', a.metadata.name])).code).to.equal(0);
      await Promise.all(calls);
      expect(server.calls.get('export_customers')).to.equal(before + 5);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('tells a waiting client when the sidecar restarts, and marks its approval abandoned', async () => {
    const alice = await connect(ALICE);
    const call = alice.callTool({ name: 'export_customers', arguments: { format: 'csv', restart: true } }, undefined, { timeout: 60_000 });
    const failed = call.then(
      () => 'answered',
      (err: Error) => err.message,
    );
    const held = await pendingOne();
    const stopped = Date.now();
    await sidecar.close();
    expect(await failed).to.include('the sidecar is shutting down; the call was not run');
    expect(Date.now() - stopped).to.be.below(10_000);
    const settled = await eventually('abandoned', async () => {
      const a = (await approvals()).find((x) => x.metadata.name === held.metadata.name);
      return a?.status?.phase === 'Abandoned' ? a : undefined;
    });
    expect(settled.status?.reason).to.equal('the sidecar is shutting down; the call was not run');
    sidecar = await startTheSidecar();
    await alice.close().catch(() => undefined);
  });

  it('abandons, on the next start, approvals a crashed sidecar left pending', async () => {
    // As if the previous sidecar process died without a word: an approval it created, pending.
    const client = new KubeClient(parseKubeconfig(await readFile(sidecarKubeconfig, 'utf8'), dir));
    const now = Date.now();
    const created = await client.create<ApprovalObject & { metadata: { name: string } }>(APPROVALS, {
      apiVersion: 'mcpresidency.io/v1alpha1',
      kind: 'MCPApproval',
      metadata: { name: 'left-behind', namespace: ns, labels: { 'mcpresidency.io/pod': 'crm-0' } },
      spec: { policy: 'crm', pod: 'crm-0', tool: 'export_customers', arguments: '{}', argumentsDigest: `sha256:${'0'.repeat(64)}`, requester: { sub: 'alice' }, requestedAt: new Date(now).toISOString(), expiresAt: new Date(now + 30_000).toISOString() },
    }, { namespace: ns });
    await client.patch(APPROVALS, created.metadata.name, { status: { phase: 'Pending' } }, 'merge', { namespace: ns, subresource: 'status' });
    client.close();
    await sidecar.close();
    sidecar = await startTheSidecar();
    const settled = await eventually('abandoned after restart', async () => {
      const a = (await approvals()).find((x) => x.metadata.name === 'left-behind');
      return a?.status?.phase === 'Abandoned' ? a : undefined;
    });
    expect(settled.status?.reason).to.include('the sidecar restarted while the call waited');
  });

  it('expires a call nobody decides on, and tells the client', async function () {
    this.timeout(60_000);
    await cp.apply(policy(10));
    await eventually('short timeout in force', () => {
      const s = sidecar.policy.state();
      return s.ok && s.runtime.policy.approval?.timeoutSeconds === 10 ? true : undefined;
    });
    const alice = await connect(ALICE);
    try {
      const started = Date.now();
      await alice.callTool({ name: 'export_customers', arguments: { format: 'csv', expire: true } }, undefined, { timeout: 60_000 }).then(
        () => expect.fail('expected an expiry'),
        (err: Error) => expect(err.message).to.include('no decision before'),
      );
      expect(Date.now() - started).to.be.at.least(9_000);
      const expired = (await approvals()).find((a) => a.status?.phase === 'Expired');
      expect(expired).to.not.equal(undefined);
    } finally {
      await alice.close();
    }
  });
});
