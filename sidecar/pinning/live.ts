// The pins of a live MCP server: its tools listed over Streamable HTTP (every page) and
// fingerprinted, sorted by name. What `mcp-residency tools pin` writes and the demo starts from.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ToolPin } from '../../policy/types.ts';
import { fingerprint, toolDefinition } from './fingerprint.ts';

const MAX_PAGES = 100;

export async function livePins(url: URL, token?: string): Promise<ToolPin[]> {
  const client = new Client({ name: 'mcp-residency-tools-pin', version: '1' });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const pins: ToolPin[] = [];
  try {
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { tools, nextCursor } = await client.listTools(cursor === undefined ? {} : { cursor });
      for (const t of tools) {
        const d = toolDefinition(t);
        if (d !== undefined) pins.push({ name: d.name, fingerprint: fingerprint(d) });
      }
      cursor = nextCursor;
      if (cursor === undefined) break;
    }
  } finally {
    await client.close().catch(() => undefined);
  }
  return pins.sort((a, b) => a.name.localeCompare(b.name));
}
