// JSON-RPC 2.0 message shapes as MCP uses them, and the errors the gateway itself answers with.

export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcResult {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcError {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResult | JsonRpcError;

/** Standard and MCP error codes (https://modelcontextprotocol.io/specification/2026-07-28/basic#error-codes). */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** 2026-07-28: an Mcp-* header disagrees with the body. */
  HeaderMismatch: -32020,
  /**
   * Refusals by the gateway's policy. Application codes must lie outside -32768..-32000, so
   * clients show the message instead of treating it as a protocol fault.
   */
  PolicyDenied: -31001,
  /** The gateway cannot enforce policy right now (no policy, audit log down): fail closed. */
  Unavailable: -31002,
  /** The MCP server behind the gateway did not answer. */
  UpstreamUnavailable: -31003,
  ApprovalRejected: -31004,
} as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is JsonRpcId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

export function isRequest(m: unknown): m is JsonRpcRequest {
  return isObject(m) && typeof m.method === 'string' && isId(m.id);
}

export function isResult(m: unknown): m is JsonRpcResult {
  return isObject(m) && isId(m.id) && isObject(m.result) && !('method' in m);
}

export function isErrorResponse(m: unknown): m is JsonRpcError {
  return isObject(m) && isObject(m.error) && !('method' in m);
}

/** Why `m` is not a JSON-RPC 2.0 message, or undefined when it is one. */
export function malformedReason(m: unknown): string | undefined {
  if (!isObject(m)) return 'a JSON-RPC message must be an object';
  if (m.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if ('method' in m) {
    if (typeof m.method !== 'string') return 'method must be a string';
    if ('id' in m && !isId(m.id)) return 'id must be a string or a number';
    if ('params' in m && !isObject(m.params)) return 'params must be an object';
    return undefined;
  }
  if (isResult(m) || isErrorResponse(m)) return undefined;
  return 'not a request, notification or response';
}

/** The keys JSON-RPC gives meaning to, and those MCP gives meaning to inside params. */
const MESSAGE_KEYS = ['jsonrpc', 'id', 'method', 'params', 'result', 'error'];
const PARAM_KEYS = ['name', 'arguments', 'uri', 'cursor', '_meta', 'task'];

/**
 * How Go's encoding/json (the official Go SDK's decoder) matches a key to a field: equal under
 * simple case folding, where the Kelvin sign folds to k and the long s to s.
 */
function fold(key: string): string {
  return key.toLowerCase().replaceAll('\u017f', 's');
}

const MESSAGE_FOLDED = new Map(MESSAGE_KEYS.map((k) => [fold(k), k]));
const PARAM_FOLDED = new Map(PARAM_KEYS.map((k) => [fold(k), k]));

function collision(obj: Record<string, unknown>, folded: ReadonlyMap<string, string>, where: string): string | undefined {
  for (const key of Object.keys(obj)) {
    const protocolKey = folded.get(fold(key));
    if (protocolKey !== undefined && protocolKey !== key) {
      return `${where}key ${JSON.stringify(key)} differs from the protocol key "${protocolKey}" only in case (a case-insensitive decoder would read it as "${protocolKey}")`;
    }
  }
  return undefined;
}

/**
 * Why a client's message is refused before any decision, or undefined when it is fine: on top
 * of malformedReason, everything a decoder on the server could read differently from the
 * sidecar (case-folded protocol keys, a tool name that is not a string) and every way around
 * the policy (a request method sent as a notification is run by lenient servers, unanswered
 * and unaudited by the sidecar).
 */
export function clientMessageProblem(m: unknown): string | undefined {
  const malformed = malformedReason(m);
  if (malformed !== undefined) return malformed;
  const msg = m as Record<string, unknown>;
  const top = collision(msg, MESSAGE_FOLDED, '');
  if (top !== undefined) return top;
  if (typeof msg.id === 'number' && !Number.isSafeInteger(msg.id)) return 'id must be a string or an integer of at most 15 digits';
  if (typeof msg.method !== 'string') return undefined;
  if (isObject(msg.params)) {
    const inParams = collision(msg.params, PARAM_FOLDED, 'params: ');
    if (inParams !== undefined) return inParams;
  }
  if (!('id' in msg) && !msg.method.startsWith('notifications/')) return `"${msg.method}" is a request and must carry an id; it cannot be sent as a notification`;
  if (msg.method === 'tools/call') {
    const params = msg.params as Record<string, unknown> | undefined;
    if (params === undefined) return 'tools/call needs params';
    if (typeof params.name !== 'string') return 'params.name of tools/call must be a string';
    if ('arguments' in params && !isObject(params.arguments)) return 'params.arguments of tools/call must be an object';
  }
  return undefined;
}

export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown): JsonRpcError {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** The tool name of a tools/call, or undefined when the params do not name one. */
export function toolName(m: JsonRpcRequest | JsonRpcNotification): string | undefined {
  const name = m.params?.name;
  return m.method === 'tools/call' && typeof name === 'string' ? name : undefined;
}
