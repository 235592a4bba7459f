// MCP clients on the official SDKs, one per transport era, behind one small interface so a
// test can run the same scenario against each: v1 Streamable HTTP (2025-xx), v1 legacy
// HTTP+SSE (2024-11-05) and the v2 client speaking 2026-07-28. postMcp is a bare POST, for
// requests the SDKs would not send.
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport as V1Streamable } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { Client as V2Client, StreamableHTTPClientTransport as V2Streamable } from '@modelcontextprotocol/client';

/** A raw JSON-RPC POST with the headers MCP requires, for what the SDK clients would not send. */
export function postMcp(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export type ClientKind = 'streamable' | 'legacy-sse' | 'modern';

export interface ToolResult {
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface McpTestClient {
  listTools(): Promise<string[]>;
  callTool(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  readResource(uri: string): Promise<{ contents: { uri: string; text?: string }[] }>;
  getPrompt(name: string, args: Record<string, string>): Promise<{ messages: { content: { type: string; text?: string } }[] }>;
  /** Log notifications the server sent, as the client received them. */
  readonly logs: unknown[];
  /** Sampling requests the server sent, as the client received them. */
  readonly samplingRequests: unknown[];
  readonly sessionId: string | undefined;
  close(): Promise<void>;
}

export async function connectClient(kind: ClientKind, url: string, token: string | undefined): Promise<McpTestClient> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const logs: unknown[] = [];
  const samplingRequests: unknown[] = [];
  if (kind === 'modern') {
    const client = new V2Client({ name: 'test-client', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    const transport = new V2Streamable(new URL(url), { requestInit: { headers } });
    await client.connect(transport);
    return wrap(client, logs, samplingRequests, () => undefined);
  }
  const client = new V1Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
  client.setRequestHandler(CreateMessageRequestSchema, (req) => {
    samplingRequests.push(req.params);
    return { role: 'assistant', model: 'test-model', content: { type: 'text', text: 'a loyal customer' } };
  });
  let transport: V1Streamable | SSEClientTransport;
  if (kind === 'legacy-sse') {
    transport = new SSEClientTransport(new URL(url), {
      requestInit: { headers },
      eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
    });
  } else {
    transport = new V1Streamable(new URL(url), { requestInit: { headers } });
  }
  await client.connect(transport);
  return wrap(client, logs, samplingRequests, () => (transport instanceof V1Streamable ? transport.sessionId : undefined));
}

/** What McpTestClient needs of either SDK's client; both satisfy it as they are. */
interface SdkClient {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  readResource(params: { uri: string }): Promise<Awaited<ReturnType<McpTestClient['readResource']>>>;
  getPrompt(params: { name: string; arguments: Record<string, string> }): Promise<Awaited<ReturnType<McpTestClient['getPrompt']>>>;
  close(): Promise<void>;
}

function wrap(client: SdkClient, logs: unknown[], samplingRequests: unknown[], sessionId: () => string | undefined): McpTestClient {
  return {
    listTools: async () => (await client.listTools()).tools.map((t) => t.name),
    callTool: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolResult,
    readResource: (uri) => client.readResource({ uri }),
    getPrompt: (name, args) => client.getPrompt({ name, arguments: args }),
    logs,
    samplingRequests,
    get sessionId() {
      return sessionId();
    },
    close: () => client.close(),
  };
}
