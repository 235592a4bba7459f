// What the gateway accepts from the MCP server before reading a word of the body, and how it
// reads the body: only what it can read exactly as the client will. Headers are checked
// (one value each, no compression, UTF-8 or no charset), only an allow-list of them reaches
// the client, and bodies are strict JSON holding JSON-RPC messages. Everything else is
// withheld, with a reason the client sees and the audit records. Pure: no I/O.
import type { IncomingHttpHeaders } from 'node:http';
import type { Masker } from '../masking/engine.ts';
import { parseStrictJson, parseStrictJsonText, StrictJsonError } from '../http/strict-json.ts';
import { malformedReason, type JsonRpcMessage } from './jsonrpc.ts';

/** Why a reply was withheld: the label of mcp_residency_withheld_replies_total, and the words for the client and the audit. */
export interface Withheld {
  readonly label: 'headers' | 'encoding' | 'content-type' | 'not-json' | 'not-jsonrpc' | 'unmatched-id';
  readonly reason: string;
}

/** The upstream response headers a client may see (the rest are dropped): the ones MCP needs. */
const PASSED = ['mcp-session-id', 'retry-after', 'allow'] as const;

/**
 * Why the server's response headers cannot be relayed, or undefined. A repeated header is
 * ambiguous (which content-type does the client obey?); a compressed body would be inspected
 * as noise (the gateway asks for identity and refuses anything else); a charset other than
 * UTF-8 would be decoded differently by the client; a session id that holds personal data
 * would carry it to the client and into every later request.
 */
export function replyHeaderProblem(headers: IncomingHttpHeaders, masker: Masker): Withheld | undefined {
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value) && name !== 'set-cookie') return { label: 'headers', reason: `the server sent ${value.length} ${name} headers` };
  }
  const encoding = single(headers['content-encoding']).trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    return { label: 'encoding', reason: `the server compressed its answer (content-encoding ${encoding}) although the sidecar asked for identity` };
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/iu.exec(single(headers['content-type']))?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return { label: 'content-type', reason: `the server declared charset ${charset}; only UTF-8 is read` };
  }
  const session = single(headers['mcp-session-id']);
  if (session !== '' && (!/^[\x21-\x7e]+$/u.test(session) || masker.maskText(session) !== session)) {
    return { label: 'headers', reason: 'the server chose a session id that is not visible ASCII or holds personal data' };
  }
  return undefined;
}

function single(v: string | string[] | undefined): string {
  return typeof v === 'string' ? v : '';
}

/** The server's headers the client gets: the allow-list only, values masked. */
export function passedHeaders(headers: IncomingHttpHeaders, masker: Masker): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = masker.maskText(v);
  }
  return out;
}

export function isEventStream(headers: IncomingHttpHeaders): boolean {
  return single(headers['content-type']).toLowerCase().startsWith('text/event-stream');
}

export function isJson(headers: IncomingHttpHeaders): boolean {
  return /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/iu.test(single(headers['content-type']));
}

/** The JSON-RPC messages of a body or an event's data, or why there are none the gateway can read. */
export type ReadReply = { readonly messages: JsonRpcMessage[]; readonly batch: boolean } | { readonly withheld: Withheld };

export function readReplyBytes(body: Uint8Array): ReadReply {
  return readReply(() => parseStrictJson(body));
}

export function readReplyText(text: string): ReadReply {
  return readReply(() => parseStrictJsonText(text));
}

function readReply(parse: () => unknown): ReadReply {
  let parsed: unknown;
  try {
    parsed = parse();
  } catch (err) {
    if (!(err instanceof StrictJsonError)) throw err;
    return { withheld: { label: 'not-json', reason: `the server's answer is not strict JSON (RFC 8259, UTF-8): ${err.message}` } };
  }
  const batch = Array.isArray(parsed);
  const list = (batch ? parsed : [parsed]) as unknown[];
  if (list.length === 0) return { withheld: { label: 'not-jsonrpc', reason: "the server's answer is an empty batch" } };
  for (let i = 0; i < list.length; i++) {
    const why = malformedReason(list[i]);
    if (why !== undefined) return { withheld: { label: 'not-jsonrpc', reason: `the server's answer is not JSON-RPC (${batch ? `message ${i}: ` : ''}${why})` } };
  }
  return { messages: list as JsonRpcMessage[], batch };
}
