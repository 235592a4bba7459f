// Mcp-Param-* headers (2026-07-28): a tool may mark arguments with `x-mcp-header: Name` in its
// input schema, and clients then repeat those values in `Mcp-Param-Name` headers so routers
// can act on them without parsing the body. The gateway decides on the body, so a header that
// disagrees with it (or is missing while the body carries the argument) would let a router and
// the gateway see two different calls: such a request is refused like an Mcp-Method mismatch.
// Which argument a header mirrors is learned from the tools/list results the server sends.
// Reasons never quote the values: they are tool arguments, which reach the audit only masked.
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonRpcNotification, JsonRpcRequest } from './jsonrpc.ts';

const PREFIX = 'mcp-param-';
const BASE64_WRAPPED = /^=\?base64\?(.*)\?=$/su;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;
/** Tools remembered at most (a server's tool list, not per-client state). */
const MAX_TOOLS = 10_000;

export class ParamHeaders {
  /** tool name -> lower-case header suffix -> argument name */
  readonly #byTool = new Map<string, ReadonlyMap<string, string>>();

  /** Remembers the x-mcp-header arguments of the tools in a tools/list result. */
  learn(tools: unknown): void {
    if (!Array.isArray(tools)) return;
    for (const tool of tools as unknown[]) {
      const t = tool as { name?: unknown; inputSchema?: { properties?: unknown } } | null;
      if (typeof t?.name !== 'string') continue;
      const props = t.inputSchema?.properties;
      const map = new Map<string, string>();
      if (typeof props === 'object' && props !== null) {
        for (const [arg, schema] of Object.entries(props)) {
          const header = (schema as { 'x-mcp-header'?: unknown } | null)?.['x-mcp-header'];
          if (typeof header === 'string' && header !== '') map.set(header.toLowerCase(), arg);
        }
      }
      this.#byTool.delete(t.name);
      if (map.size > 0) this.#byTool.set(t.name, map);
      while (this.#byTool.size > MAX_TOOLS) this.#byTool.delete(this.#byTool.keys().next().value!);
    }
  }

  /**
   * Why the Mcp-Param-* headers disagree with the body of `message`, or undefined. `modern`:
   * the 2026-07-28 revision, where the headers are required; before it they are only checked
   * when sent. A tool whose schema the gateway has not seen cannot be checked here (the server
   * must check it too, as the revision requires).
   */
  mismatch(headers: IncomingHttpHeaders, message: JsonRpcRequest | JsonRpcNotification, modern: boolean): string | undefined {
    if (message.method !== 'tools/call' || typeof message.params?.name !== 'string') return undefined;
    const mapping = this.#byTool.get(message.params.name);
    if (mapping === undefined) return undefined;
    const args = (message.params.arguments ?? {}) as Record<string, unknown>;
    for (const [suffix, arg] of mapping) {
      const raw = headers[`${PREFIX}${suffix}`];
      const value = args[arg];
      const header = `Mcp-Param-${suffix}`;
      if (raw === undefined) {
        if (value !== undefined && value !== null && modern) return `the ${header} header is required: the body carries the argument "${arg}"`;
        continue;
      }
      if (Array.isArray(raw)) return `the ${header} header is sent more than once`;
      if (value === undefined || value === null) return `the ${header} header is sent but the body has no argument "${arg}"`;
      const decoded = decodeParam(raw.trim());
      if (decoded === undefined) return `the ${header} header is not valid =?base64?...?= text`;
      if (decoded !== (typeof value === 'string' ? value : JSON.stringify(value))) return `the ${header} header does not match the argument "${arg}" in the body`;
    }
    return undefined;
  }
}

/** A header value as text: =?base64?...?= decoded strictly, anything else literal. */
function decodeParam(v: string): string | undefined {
  const m = BASE64_WRAPPED.exec(v);
  if (m === null) return v;
  if (!BASE64.test(m[1]!)) return undefined;
  return Buffer.from(m[1]!, 'base64').toString('utf8');
}

/** Whether the request carries any Mcp-* routing header (they describe one message, never a batch). */
export function hasRoutingHeaders(headers: IncomingHttpHeaders): boolean {
  for (const h in headers) if (h === 'mcp-method' || h === 'mcp-name' || h.startsWith(PREFIX)) return true;
  return false;
}
