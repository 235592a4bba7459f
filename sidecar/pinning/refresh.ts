// The tool list as the server gives it to this caller, fetched by the sidecar itself: when a
// client calls a tool that no tools/list through this sidecar has shown (it listed through
// another pod, or before a restart), the sidecar asks the server for the list in the caller's
// own session and era, so the call can be checked against its pin instead of refused. Only the
// answer to the sidecar's request is read; a transport that answers elsewhere (the legacy
// HTTP+SSE stream) gives nothing here, and the call stays refused.
import { randomUUID } from 'node:crypto';
import { readBody } from '../http/body.ts';
import { isModern, PROTOCOL_VERSION_META, protocolVersionOf } from '../inbound/era.ts';
import { isResult } from '../inbound/jsonrpc.ts';
import type { RequestScope } from '../inbound/scope.ts';
import { upstreamHeaders } from '../inbound/streamable.ts';
import type { Upstream } from '../inbound/upstream.ts';
import { SseParser } from '../sse/index.ts';

const MAX_PAGES = 20;
const MAX_BYTES = 8 * 1024 * 1024;

/** Every page of tools/list, or undefined when the server did not answer it here. */
export async function fetchToolList(upstream: Upstream, scope: RequestScope): Promise<Record<string, unknown> | undefined> {
  const tools: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await listPage(upstream, scope, cursor);
    if (result === undefined) return undefined;
    if (Array.isArray(result.tools)) tools.push(...(result.tools as unknown[]));
    cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
    if (cursor === undefined) break;
  }
  return { tools };
}

async function listPage(upstream: Upstream, scope: RequestScope, cursor: string | undefined): Promise<Record<string, unknown> | undefined> {
  const id = `mcp-residency-pin-${randomUUID()}`;
  const version = protocolVersionOf(scope.req.headers, undefined);
  const params: Record<string, unknown> = { ...(cursor !== undefined ? { cursor } : {}), ...(isModern(version) ? { _meta: { [PROTOCOL_VERSION_META]: version } } : {}) };
  const headers = { ...upstreamHeaders(scope.req), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-method': 'tools/list' };
  delete (headers as Record<string, unknown>)['mcp-name'];
  let res;
  try {
    res = await upstream.request({ method: 'POST', path: scope.req.url ?? '/', headers, body: Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params })), signal: scope.signal });
  } catch {
    return undefined;
  }
  try {
    if (res.statusCode >= 300) return undefined;
    const type = (res.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('text/event-stream')) {
      const parser = new SseParser({ maxEventSize: MAX_BYTES });
      for await (const chunk of res as AsyncIterable<Buffer>) {
        for (const event of parser.push(chunk)) {
          const found = answer(event.data, id);
          if (found !== undefined) return found;
        }
      }
      return undefined;
    }
    if (!type.includes('json')) return undefined;
    return answer((await readBody(res, MAX_BYTES)).toString('utf8'), id);
  } catch {
    return undefined;
  } finally {
    res.destroy();
  }
}

function answer(text: string | undefined, id: string): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const m: unknown = JSON.parse(text);
    return isResult(m) && m.id === id ? m.result : undefined;
  } catch {
    return undefined;
  }
}
