// The inbound gateway with the official MCP SDK on both sides, in every transport era: a
// client cannot tell the sidecar from the server, except that the policy now holds.
import { expect } from 'chai';
import { startSampleServer, type RunningSampleServer, type SampleTransport } from '../../demo/sample-server.ts';
import { ALICE, AUDIENCE, BOB, crmPolicy, expectNoRawValues } from '../support/crm.ts';
import { connectClient, postMcp, type ClientKind, type McpTestClient } from '../support/mcp-client.ts';
import { startModernServer } from '../support/modern-server.ts';
import { startIssuer, type TestIssuer } from '../support/oidc.ts';
import { runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

interface Era {
  readonly name: string;
  readonly server: SampleTransport | 'modern';
  readonly client: ClientKind;
  readonly path: string;
}

const ERAS: Era[] = [
  { name: 'Streamable HTTP, SSE replies (2025-11-25)', server: 'streamable', client: 'streamable', path: '/mcp' },
  { name: 'Streamable HTTP, JSON replies', server: 'streamable-json', client: 'streamable', path: '/mcp' },
  { name: 'Streamable HTTP, stateless', server: 'stateless', client: 'streamable', path: '/mcp' },
  { name: 'legacy HTTP+SSE (2024-11-05)', server: 'legacy-sse', client: 'legacy-sse', path: '/sse' },
  { name: '2026-07-28 (no sessions, Mcp-* headers)', server: 'modern', client: 'modern', path: '/mcp' },
];

describe('inbound gateway: transports', () => {
  let issuer: TestIssuer;
  before(async () => {
    issuer = await startIssuer([ALICE, BOB]);
  });
  after(() => issuer.close());

  for (const era of ERAS) {
    describe(era.name, () => {
      let server: RunningSampleServer;
      let sut: SidecarUnderTest;
      let bob: McpTestClient;
      const url = (): string => `${sut.sidecar.urls.mcp}${era.path}`;

      before(async () => {
        server = era.server === 'modern' ? await startModernServer() : await startSampleServer(era.server);
        sut = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer) });
        await waitReady(sut.sidecar);
        bob = await connectClient(era.client, url(), await issuer.token(BOB, { resource: AUDIENCE }));
      });
      after(async () => {
        await bob?.close();
        await sut?.close();
        await server?.close();
      });

      it('hides denied tools from tools/list, per group', async () => {
        const tools = await bob.listTools();
        expect(tools).to.include('get_customer');
        expect(tools).to.not.include('delete_customer');
        expect(tools).to.not.include('export_customers');
        const alice = await connectClient(era.client, url(), await issuer.token(ALICE, { resource: AUDIENCE }));
        try {
          expect(await alice.listTools()).to.include('export_customers'); // held for approval, but visible
        } finally {
          await alice.close();
        }
      });

      it('masks personal data in tool results, text and structured', async () => {
        const result = await bob.callTool('get_customer', { id: '42' });
        const text = JSON.stringify(result);
        expectNoRawValues(text, 'the tool result');
        expect(result.content[0]!.text).to.include('[EMAIL]').and.to.include('[IBAN]').and.to.include('[CREDIT_CARD]').and.to.include('[PHONE]');
        expect(result.content[0]!.text).to.include('[EMPLOYEE_ID]');
        const customer = result.structuredContent?.customer as Record<string, unknown>;
        expect(customer.name).to.equal('[PERSON]');
        expect(customer.taxId).to.equal('[FIELD]');
        expect(customer.lastLoginIp).to.equal('[IP_ADDRESS]');
      });

      it('refuses a denied tool with a JSON-RPC error, and the server never runs it', async () => {
        const before = server.calls.get('delete_customer') ?? 0;
        let error: Error | undefined;
        try {
          const r = await bob.callTool('delete_customer', { id: '42' });
          expect.fail(`expected an error, got ${JSON.stringify(r)}`);
        } catch (err) {
          error = err as Error;
        }
        expect(error?.message).to.match(/policy "crm" denied the tool "delete_customer"/);
        expect(server.calls.get('delete_customer') ?? 0).to.equal(before);
      });

      it('records every interaction with identity, and no raw personal value, in the audit log', async () => {
        await bob.callTool('get_customer', { id: '43' });
        const records = await sut.records();
        const calls = records.filter((r) => r.method === 'tools/call');
        const allowed = calls.find((r) => r.tool === 'get_customer' && r.decision === 'allow');
        const denied = calls.find((r) => r.tool === 'delete_customer' && r.decision === 'deny');
        expect(allowed?.principal.sub).to.equal('bob');
        expect(allowed?.masked).to.include.keys('EMAIL', 'IBAN', 'CREDIT_CARD');
        expect(denied?.principal.sub).to.equal('bob');
        expect(denied?.reason).to.include('tools.rules[0]');
        expectNoRawValues(await sut.auditBytes(), 'the audit directory');
      });
    });
  }
});

describe('inbound gateway: tool definitions', () => {
  it('leaves tool schemas intact even where a field path names a property', async () => {
    const issuer = await startIssuer([BOB]);
    const server = await startSampleServer('streamable-json');
    const sut = await runSidecar({ upstream: server.origin, policy: crmPolicy(issuer.issuer) });
    try {
      await waitReady(sut.sidecar);
      const res = await postMcp(
        `${sut.sidecar.urls.mcp}/mcp`,
        { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } },
        { authorization: `Bearer ${await issuer.token(BOB, { resource: AUDIENCE })}` },
      );
      const session = res.headers.get('mcp-session-id')!;
      const list = await postMcp(
        `${sut.sidecar.urls.mcp}/mcp`,
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        { authorization: `Bearer ${await issuer.token(BOB, { resource: AUDIENCE })}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
      );
      const tools = ((await list.json()) as { result: { tools: { name: string; outputSchema?: { properties: { customer: { properties: Record<string, unknown> } } } }[] } }).result.tools;
      const schema = tools.find((t) => t.name === 'get_customer')?.outputSchema?.properties.customer.properties;
      expect(schema?.taxId).to.deep.equal({ type: 'string' });
    } finally {
      await sut.close();
      await server.close();
      await issuer.close();
    }
  });
});
