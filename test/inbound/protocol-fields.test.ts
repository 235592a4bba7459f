// Fields the protocol correlates or addresses messages with are never masked on the way to the
// client, whatever they look like: a string progress token, a pagination cursor holding an
// e-mail address, a resource URI naming a person, _meta keys ending in "token". The client
// sends them back and they must still work; the audit record gets the URI masked. Both SDKs
// (v1 on 2025-11-25, v2 on 2026-07-28) against a v2 server that serves both eras.
import { expect } from 'chai';
import http from 'node:http';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';
import { listenLoopback } from '../support/net.ts';
import { runSidecar, waitReady, type SidecarUnderTest } from '../support/sidecar.ts';

const EMAIL = 'jane.doe@example.com';
const CURSOR = `page-2-after:${EMAIL}`;
const URI = `crm://customers/${EMAIL}`;
const META = { 'example.com/requestToken': 'job-42-abcdef0123456789', 'example.com/owner': EMAIL };
const POLICY = `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: fields }
spec:
  authentication: { mode: none }
  masking: { mode: redact }
`;

function fieldServer(): Server {
  const s = new Server({ name: 'protocol-fields', version: '1.0.0' }, { capabilities: { tools: {}, resources: {} } });
  const tool = (name: string): { name: string; inputSchema: { type: 'object' } } => ({ name, inputSchema: { type: 'object' } });
  s.setRequestHandler('tools/list', (req) => (req.params?.cursor === CURSOR ? { tools: [tool('second')] } : { tools: [tool('first')], nextCursor: CURSOR }));
  s.setRequestHandler('tools/call', async (_req, ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    if (progressToken !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress: 1, total: 1 } });
    return { content: [{ type: 'text', text: `done for ${EMAIL}` }], _meta: META };
  });
  s.setRequestHandler('resources/list', () => ({ resources: [{ uri: URI, name: 'customer', mimeType: 'text/plain' }] }));
  s.setRequestHandler('resources/read', (req) => ({ contents: [{ uri: req.params.uri, mimeType: 'text/plain', text: `Write to ${EMAIL}` }] }));
  return s;
}

interface Seen {
  tools: string[];
  cursor: string | undefined;
  progressTokens: unknown[];
  resultMeta: unknown;
  resultText: string;
  uri: string | undefined;
  readUri: string | undefined;
  readText: string | undefined;
}

/** What a client of either SDK sees, driving both the same way. */
async function exercise(client: {
  listTools(p?: { cursor?: string }): Promise<{ tools: { name: string }[]; nextCursor?: string }>;
  callTool(p: { name: string; arguments: Record<string, unknown>; _meta: Record<string, unknown> }): Promise<unknown>;
  listResources(): Promise<{ resources: { uri: string }[] }>;
  readResource(p: { uri: string }): Promise<{ contents: { uri: string; text?: string }[] }>;
}, progressTokens: unknown[]): Promise<Seen> {
  const first = await client.listTools();
  const second = first.nextCursor === undefined ? { tools: [] } : await client.listTools({ cursor: first.nextCursor });
  const result = (await client.callTool({ name: 'first', arguments: {}, _meta: { progressToken: 'job-42' } })) as { _meta?: unknown; content: { text: string }[] };
  const uri = (await client.listResources()).resources[0]?.uri;
  const read = await client.readResource({ uri: uri ?? '' });
  return {
    // The v2 client follows cursors itself: "second" is listed only if the cursor came back intact.
    tools: [...new Set([...first.tools, ...second.tools].map((t) => t.name))],
    cursor: first.nextCursor,
    progressTokens,
    resultMeta: result._meta,
    resultText: result.content[0]!.text,
    uri,
    readUri: read.contents[0]?.uri,
    readText: read.contents[0]?.text,
  };
}

describe('inbound gateway: protocol fields are never masked', () => {
  let sut: SidecarUnderTest;
  let upstream: { origin: string; close(): Promise<void> };
  let handler: ReturnType<typeof createMcpHandler>;
  before(async () => {
    handler = createMcpHandler(() => fieldServer());
    const node = toNodeHandler(handler) as (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
    upstream = await listenLoopback(http.createServer((req, res) => void node(req, res)));
    sut = await runSidecar({ upstream: upstream.origin, policy: POLICY });
    await waitReady(sut.sidecar);
  });
  after(async () => {
    await sut.close();
    await upstream.close();
    await handler.close?.();
  });

  const expectUnchanged = (seen: Seen, cursor: string | undefined): void => {
    expect(seen.tools).to.deep.equal(['first', 'second']);
    expect(seen.cursor).to.equal(cursor);
    expect(seen.progressTokens).to.deep.equal(['job-42']);
    expect(seen.resultMeta).to.deep.include(META);
    expect(seen.resultText).to.equal('done for [EMAIL]');
    expect(seen.uri).to.equal(URI);
    expect(seen.readUri).to.equal(URI);
    expect(seen.readText).to.equal('Write to [EMAIL]');
  };

  it('v1 SDK (2025-11-25): cursor, string progress token, _meta and resource URIs arrive unchanged; data is masked', async () => {
    const progressTokens: unknown[] = [];
    const client = new V1Client({ name: 'fields-v1', version: '1.0.0' });
    client.setNotificationHandler(ProgressNotificationSchema, (n) => void progressTokens.push(n.params.progressToken));
    await client.connect(new V1Transport(new URL(`${sut.sidecar.urls.mcp}/mcp`)));
    try {
      expectUnchanged(await exercise(client, progressTokens), CURSOR);
    } finally {
      await client.close();
    }
  });

  it('v2 SDK (2026-07-28): the same', async () => {
    const progressTokens: unknown[] = [];
    const client = new V2Client({ name: 'fields-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    client.setNotificationHandler('notifications/progress', (n) => void progressTokens.push(n.params.progressToken));
    await client.connect(new V2Transport(new URL(`${sut.sidecar.urls.mcp}/mcp`)));
    try {
      expectUnchanged(await exercise(client, progressTokens), undefined);
    } finally {
      await client.close();
    }
  });

  it('the audit records the URIs, cursors and _meta masked by value (no raw e-mail address), the token unchanged', async () => {
    const bytes = await sut.auditBytes();
    expect(bytes).to.not.include(EMAIL);
    expect(bytes).to.include('crm://customers/[EMAIL]');
    expect(bytes).to.include('page-2-after:[EMAIL]');
    expect(bytes).to.include('job-42-abcdef0123456789');
  });
});
