// Approvals without a cluster: the same rules, decided through the sidecar's admin port by an
// approver whose OIDC token carries an approver group.
import { expect } from 'chai';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { AUDIENCE } from '../support/crm.ts';
import { runCli } from '../support/cli.ts';
import { startIssuer, type TestClient, type TestIssuer } from '../support/oidc.ts';
import { eventually, runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const ALICE: TestClient = { id: 'alice', secret: 'a', groups: ['privacy-officers'] };
const ERIN: TestClient = { id: 'erin', secret: 'e', groups: ['privacy-officers'] };
const BOB: TestClient = { id: 'bob', secret: 'b', groups: ['sales'] };

interface View {
  id: string;
  tool: string;
  argumentsDigest: string;
  requester: { sub: string };
  phase: string;
}

describe('approvals, standalone (admin port)', function () {
  this.timeout(30_000);
  let issuer: TestIssuer;
  let server: RunningSampleServer;
  let sut: SidecarUnderTest;
  let tokens: Record<string, string>;

  before(async () => {
    issuer = await startIssuer([ALICE, ERIN, BOB]);
    server = await startSampleServer('streamable');
    sut = await runSidecar({
      upstream: server.origin,
      policy: `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm }
spec:
  authentication: { issuer: "${issuer.issuer}", audiences: ["${AUDIENCE}"] }
  tools: { rules: [ { name: "export_*", groups: [privacy-officers], action: approve } ] }
  approval: { approverGroups: [privacy-officers], timeoutSeconds: 30 }
`,
    });
    await waitReady(sut.sidecar);
    tokens = {
      alice: await issuer.token(ALICE, { resource: AUDIENCE }),
      erin: await issuer.token(ERIN, { resource: AUDIENCE }),
      bob: await issuer.token(BOB, { resource: AUDIENCE }),
    };
  });
  after(async () => {
    await sut.close();
    await server.close();
    await issuer.close();
  });

  const agent = async (): Promise<Client> => {
    const c = new Client({ name: 'agent', version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${sut.sidecar.urls.mcp}/mcp`), { requestInit: { headers: { authorization: `Bearer ${tokens.alice}` } } }));
    return c;
  };
  const admin = (who: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${sut.sidecar.urls.admin}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${tokens[who]!}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const pending = (): Promise<View> =>
    eventually('a held call', async () => ((await (await admin('erin', '/approvals')).json()) as { items: View[] }).items[0]);

  it('holds the call until another approver approves it with the CLI', async () => {
    const client = await agent();
    try {
      const outcome = client.callTool({ name: 'export_customers', arguments: { format: 'csv' } }, undefined, { timeout: 30_000 });
      const held = await pending();
      expect(held).to.include({ tool: 'export_customers', phase: 'Pending' });
      expect(held.requester.sub).to.equal('alice');
      const list = await runCli(['approvals', 'list', '--sidecar', sut.sidecar.urls.admin, '--token', tokens.erin!]);
      expect(list.stdout).to.include(held.id);
      const r = await runCli(['approvals', 'approve', held.id, '--sidecar', sut.sidecar.urls.admin, '--reason', 'ok'], { env: { MCP_RESIDENCY_TOKEN: tokens.erin! } });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(`approved ${held.id} (export_customers, requested by alice)\n`);
      const result = (await outcome) as { content: { text: string }[] };
      expect(result.content[0]!.text).to.include('[IBAN]');
      expect(server.calls.get('export_customers')).to.equal(1);
      const records = await sut.records();
      expect(records.filter((x) => x.kind === 'approval').map((x) => [x.decision, x.principal.sub])).to.deep.equal([
        ['deny', 'alice'],
        ['approved', 'erin'],
      ]);
    } finally {
      await client.close();
    }
  });

  it('lets only approvers see or decide, never the requester, and only for that call', async () => {
    const client = await agent();
    try {
      const outcome = client.callTool({ name: 'export_customers', arguments: { format: 'json' } }, undefined, { timeout: 30_000 }).then(
        () => 'answered',
        (err: Error) => err.message,
      );
      const held = await pending();
      const bob = await admin('bob', '/approvals');
      expect(bob.status).to.equal(403);
      expect(((await bob.json()) as { error: string }).error).to.equal('bob is not in the approver groups [privacy-officers] of policy crm');
      const self = await admin('alice', `/approvals/${held.id}/approve`, {});
      expect(self.status).to.equal(403);
      expect(((await self.json()) as { error: string }).error).to.equal('nobody may decide on their own call');
      const other = await admin('erin', `/approvals/${held.id}/approve`, { digest: `sha256:${'1'.repeat(64)}` });
      expect(other.status).to.equal(409);
      const deny = await admin('erin', `/approvals/${held.id}/deny`, { reason: 'use the report instead' });
      expect(deny.status).to.equal(200);
      expect(await outcome).to.include('rejected by erin: use the report instead');
      const again = await admin('erin', `/approvals/${held.id}/approve`, {});
      expect(again.status).to.equal(404);
    } finally {
      await client.close();
    }
  });

  it('abandons the approval when the client goes away', async () => {
    const client = await agent();
    const outcome = client.callTool({ name: 'export_customers', arguments: { format: 'csv', gone: true } }, undefined, { timeout: 30_000 }).catch((err: Error) => err.message);
    const held = await pending();
    await client.close();
    await outcome;
    await eventually('abandoned', async () => ((await sut.records()).some((x) => x.approval?.id === held.id && x.approval.phase === 'abandoned') ? true : undefined));
    expect((await admin('erin', `/approvals/${held.id}`)).status).to.equal(404);
  });
});
