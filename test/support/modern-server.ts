// The sample CRM on the v2 SDK, which speaks the 2026-07-28 revision (no sessions, Mcp-*
// headers, server/discover). Same tools as demo/sample-server.ts, same call counters.
import http from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { listenLoopback } from './net.ts';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { CUSTOMERS, ToolDescriptions, type RunningSampleServer } from '../../demo/sample-server.ts';

export async function startModernServer(): Promise<RunningSampleServer> {
  const calls = new Map<string, number>();
  const count = (tool: string): void => void calls.set(tool, (calls.get(tool) ?? 0) + 1);
  const handler = createMcpHandler(() => {
    const s = new McpServer({ name: 'sample-crm-v2', version: '2.0.0' });
    s.registerTool('get_customer', { description: 'Look up a customer', inputSchema: z.object({ id: z.string() }) }, ({ id }) => {
      count('get_customer');
      const customer = CUSTOMERS.find((c) => c.id === id);
      return { content: [{ type: 'text', text: JSON.stringify({ customer }) }], structuredContent: { customer: { ...customer } } };
    });
    s.registerTool('delete_customer', { description: 'Delete a customer', inputSchema: z.object({ id: z.string() }) }, ({ id }) => {
      count('delete_customer');
      return { content: [{ type: 'text', text: `deleted ${id}` }] };
    });
    s.registerTool('export_customers', { description: 'Export customers', inputSchema: z.object({}) }, () => {
      count('export_customers');
      return { content: [{ type: 'text', text: CUSTOMERS.map((c) => c.email).join(',') }] };
    });
    return s;
  });
  const node = toNodeHandler(handler) as (req: http.IncomingMessage, res: http.ServerResponse, body?: unknown) => Promise<void>;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      void node(req, res, text ? (JSON.parse(text) as unknown) : undefined);
    });
  });
  const listening = await listenLoopback(server);
  return {
    calls,
    descriptions: new ToolDescriptions(),
    origin: listening.origin,
    url: `${listening.origin}/mcp`,
    close: async () => {
      await listening.close();
      await handler.close?.();
    },
  };
}
