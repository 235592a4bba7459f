// Protocol eras. 2026-07-28 dropped sessions and initialize and moved the method (and tool,
// resource or prompt name) into Mcp-* headers so intermediaries can route without parsing.
// The gateway never trusts those headers: it decides on the body and refuses a request whose
// headers disagree with it, so a router and the gateway can never see two different calls.
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonRpcNotification, JsonRpcRequest } from './jsonrpc.ts';

export const MODERN_VERSION = '2026-07-28';
export const PROTOCOL_VERSION_META = 'io.modelcontextprotocol/protocolVersion';

/** The protocol version a message is sent under: its _meta (2026-07-28) or the header. */
export function protocolVersionOf(headers: IncomingHttpHeaders, message: JsonRpcRequest | JsonRpcNotification | undefined): string | undefined {
  const meta = message?.params?._meta;
  const fromMeta = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)[PROTOCOL_VERSION_META] : undefined;
  if (typeof fromMeta === 'string') return fromMeta;
  const header = headers['mcp-protocol-version'];
  return typeof header === 'string' ? header : undefined;
}

export function isModern(version: string | undefined): boolean {
  return version !== undefined && version >= MODERN_VERSION;
}

/** Which params field Mcp-Name carries, by method. */
const NAME_FIELD: Record<string, string> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/**
 * Why the Mcp-* headers do not match the body, or undefined when they do. In the modern era the
 * headers are required; in older eras they are optional but must still agree when present.
 */
export function headerMismatch(headers: IncomingHttpHeaders, message: JsonRpcRequest | JsonRpcNotification): string | undefined {
  const modern = isModern(protocolVersionOf(headers, message));
  const method = headers['mcp-method'];
  if (method === undefined) {
    if (modern) return 'the Mcp-Method header is required';
  } else if (method !== message.method) {
    return `the Mcp-Method header says "${String(method)}" but the body calls "${message.method}"`;
  }
  const field = NAME_FIELD[message.method];
  const name = headers['mcp-name'];
  const bodyName = field === undefined ? undefined : message.params?.[field];
  if (name === undefined) {
    if (modern && field !== undefined) return `the Mcp-Name header is required for ${message.method}`;
  } else if (field === undefined) {
    return `the Mcp-Name header is not used with ${message.method}`;
  } else if (decodeHeaderValue(String(name)) !== bodyName) {
    return `the Mcp-Name header says "${String(name)}" but the body names "${String(bodyName)}"`;
  }
  if (modern) {
    const header = headers['mcp-protocol-version'];
    const meta = protocolVersionOf({}, message);
    if (meta !== undefined && header !== meta) {
      return `the MCP-Protocol-Version header (${String(header)}) differs from _meta protocolVersion (${meta})`;
    }
  }
  return undefined;
}

/** Non-ASCII Mcp-* values travel as =?base64?...?= (2026-07-28 transports). */
function decodeHeaderValue(v: string): string {
  const m = /^=\?base64\?(.*)\?=$/u.exec(v);
  return m ? Buffer.from(m[1]!, 'base64').toString('utf8') : v;
}
