// Approval notifications to a local stand-in for Teams and a Slack-compatible webhook: what they
// say, that they are retried, and that a target that never answers well decides nothing.
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSampleServer, type RunningSampleServer } from '../../demo/sample-server.ts';
import { AUDIENCE } from '../support/crm.ts';
import { startIssuer, type TestClient, type TestIssuer } from '../support/oidc.ts';
import { eventually, runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const ALICE: TestClient = { id: 'alice', secret: 'a', groups: ['sales'] };
const ERIN: TestClient = { id: 'erin', secret: 'e', groups: ['privacy-officers'] };
const RAW_EMAIL = 'jane.doe@example.com';

interface Post {
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly status: number;
}

/** Answers by path: /teams fails twice with 503 then takes it (202, as Workflows does); /hook takes it; /down always 503. */
async function startChat(): Promise<{ base: string; posts: Post[]; close(): Promise<void> }> {
  const posts: Post[] = [];
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const path = req.url ?? '';
      const n = (seen.get(path) ?? 0) + 1;
      seen.set(path, n);
      const status = path === '/down' ? 503 : path === '/teams' && n <= 2 ? 503 : path === '/teams' ? 202 : 200;
      posts.push({ path, body: JSON.parse(raw) as Record<string, unknown>, status });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? '1' : 'busy');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The card's visible text: its TextBlocks and facts, one per line. */
function cardText(body: Record<string, unknown>): string {
  const card = (body.attachments as { contentType: string; content: { type: string; body: { type: string; text?: string; facts?: { title: string; value: string }[] }[] } }[])[0]!;
  expect(card.contentType).to.equal('application/vnd.microsoft.card.adaptive');
  expect(card.content.type).to.equal('AdaptiveCard');
  return card.content.body.map((b) => b.text ?? (b.facts ?? []).map((f) => `${f.title}: ${f.value}`).join('\n')).join('\n');
}

describe('approval notifications (Teams, webhook)', function () {
  this.timeout(30_000);
  let issuer: TestIssuer;
  let server: RunningSampleServer;
  let chat: Awaited<ReturnType<typeof startChat>>;
  let sut: SidecarUnderTest;

  before(async () => {
    issuer = await startIssuer([ALICE, ERIN]);
    server = await startSampleServer('streamable');
    chat = await startChat();
    sut = await runSidecar({
      upstream: server.origin,
      secrets: { 'teams-url': { url: `${chat.base}/teams\n` }, 'hook-url': { url: `${chat.base}/hook` }, 'down-url': { url: `${chat.base}/down` } },
      notify: { attempts: 3, backoff: { initialMs: 5, maxMs: 20 } },
      policy: `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: crm }
spec:
  authentication: { issuer: "${issuer.issuer}", audiences: ["${AUDIENCE}"] }
  tools: { rules: [ { name: "export_*", action: approve } ] }
  approval:
    approverGroups: [privacy-officers]
    timeoutSeconds: 60
    notify:
      - { type: teams, urlSecret: { name: teams-url, key: url } }
      - { type: webhook, urlSecret: { name: hook-url, key: url } }
      - { type: webhook, urlSecret: { name: down-url, key: url } }
`,
    });
    await waitReady(sut.sidecar);
  });
  after(async () => {
    await sut?.close();
    await Promise.all([server?.close(), issuer?.close(), chat?.close()]);
  });

  it('announces a held call with who, what, masked arguments, expiry and the commands; retries; posts the decision; a failing target decides nothing', async () => {
    const client = new Client({ name: 'agent', version: '1' });
    const alice = await issuer.token(ALICE, { resource: AUDIENCE });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${sut.sidecar.urls.mcp}/mcp`), { requestInit: { headers: { authorization: `Bearer ${alice}` } } }));
    try {
      const outcome = client.callTool({ name: 'export_customers', arguments: { format: 'csv', contact: RAW_EMAIL } }, undefined, { timeout: 30_000 });
      const hook = await eventually('the webhook notice', () => chat.posts.find((p) => p.path === '/hook'));
      const approval = hook.body.approval as { id: string; tool: string; requester: string; expiresAt: string; arguments: Record<string, string>; approve: string; deny: string };
      const admin = sut.sidecar.urls.admin;
      expect(approval).to.deep.include({
        tool: 'export_customers',
        requester: 'alice',
        approve: `mcp-residency approvals approve ${approval.id} --sidecar ${admin} --token "$TOKEN"`,
        deny: `mcp-residency approvals deny ${approval.id} --sidecar ${admin} --token "$TOKEN" --reason "..."`,
      });
      expect(approval.arguments).to.deep.equal({ format: 'csv', contact: '[EMAIL]' });
      expect(Date.parse(approval.expiresAt)).to.be.greaterThan(Date.now());
      const text = hook.body.text as string;
      for (const part of ['Approval needed: alice wants to call export_customers', `Expires: ${approval.expiresAt}`, '"contact": "[EMAIL]"', approval.approve, approval.deny]) {
        expect(text).to.include(part);
      }
      const teams = await eventually('the Teams card, after two 503s', () => chat.posts.find((p) => p.path === '/teams' && p.status === 202));
      expect(chat.posts.filter((p) => p.path === '/teams')).to.have.length(3);
      expect(teams.body.type).to.equal('message');
      const card = cardText(teams.body);
      for (const part of ['Approval needed: alice wants to call export_customers', approval.approve, approval.deny, approval.expiresAt, '[EMAIL]']) expect(card).to.include(part);
      expect(JSON.stringify(chat.posts)).to.not.include(RAW_EMAIL);

      // /down never takes it: the call still waits for a person, who decides.
      await eventually('the failing target given up on', () => (sut.logs().includes('approval notification failed') ? true : undefined));
      const erin = await issuer.token(ERIN, { resource: AUDIENCE });
      const decided = await fetch(`${admin}/approvals/${approval.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${erin}`, 'content-type': 'application/json' }, body: '{"reason":"quarterly report"}' });
      expect(decided.status).to.equal(200);
      const result = (await outcome) as { isError?: boolean };
      expect(result.isError ?? false).to.equal(false);

      const followUp = await eventually('the decision posted to the webhook', () => chat.posts.find((p) => p.path === '/hook' && (p.body.approval as { phase: string }).phase === 'approved'));
      expect(followUp.body.text).to.include('Approved by erin: export_customers for alice');
      expect(followUp.body.approval).to.deep.include({ decidedBy: 'erin', reason: 'approved by erin: quarterly report' });
      await eventually('the decision card in Teams', () => chat.posts.find((p) => p.path === '/teams' && cardText(p.body).includes('Approved by erin')));

      const metrics = await eventually('notification metrics', async () => {
        const m = await (await fetch(`${admin}/metrics`)).text();
        return m.includes('mcp_residency_approval_notifications_total{target="webhook",result="failed"} 2') ? m : undefined;
      });
      expect(metrics).to.include('mcp_residency_approval_notifications_total{target="teams",result="retried"} 2');
      expect(metrics).to.include('mcp_residency_approval_notifications_total{target="teams",result="sent"} 2');
      expect(metrics).to.include('mcp_residency_approval_notifications_total{target="webhook",result="sent"} 2');
      const failure = sut.logs().split('\n').find((l) => l.includes('approval notification failed'))!;
      expect(failure).to.include('webhook (secret down-url/url)').and.include('answered HTTP 503').and.not.include(chat.base);
    } finally {
      await client.close();
    }
  });
});
