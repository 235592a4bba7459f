// What the client gets to see of each message the MCP server sends: tools the caller may not
// use are taken out of tools/list, and every string that reaches the client is masked (tool
// results, structuredContent, resource contents, prompt messages, errors, log and progress
// notifications, sampling and elicitation requests). Pure: no I/O.
import { MaskReport, type Masker } from '../masking/engine.ts';
import { maskBlob } from './blobs.ts';
import { maskAcrossItems } from './split-text.ts';
import { isErrorResponse, isResult, type JsonRpcMessage, type JsonRpcRequest } from './jsonrpc.ts';
import { mapProtocolFields, withoutProtocolFields, withProtocolFields } from './protocol-fields.ts';
import type { ToolPolicy } from './tool-policy.ts';

export interface Engines {
  readonly masker: Masker;
  readonly tools: ToolPolicy;
}

/** What the gateway knows about the client request a server message answers. */
export interface RequestContext {
  readonly method: string;
  readonly groups: readonly string[];
}

/** Returns the message as the client may see it; counts what was masked into `report`. */
export function protectServerMessage(message: JsonRpcMessage, answers: RequestContext | undefined, engines: Engines, report: MaskReport): JsonRpcMessage {
  const { masker } = engines;
  if (isResult(message)) {
    let result = message.result;
    if (answers?.method === 'tools/list') result = privateWhenPerCaller(filterToolList(result, answers.groups, engines.tools), engines.tools);
    if (answers !== undefined && result.resultType === 'input_required') result = filterInputRequests(result, answers.groups, engines.tools);
    // Protocol fields (cursors, task ids, _meta, resource URIs ...) are not data: out before masking, back after.
    let data = withoutProtocolFields(result) as Record<string, unknown>;
    // A value split across adjacent text items is found before each item is masked alone.
    if (Array.isArray(data.content)) {
      const content = maskAcrossItems(data.content as unknown[], masker, report);
      if (content !== data.content) data = { ...data, content };
    }
    let masked: Record<string, unknown>;
    if (answers?.method === 'tools/list') masked = maskToolList(data, masker, report);
    else if (answers?.method === 'tools/call' || isTaskResultRead(answers)) masked = maskToolResult(data, masker, report);
    else masked = maskKeepingBinary(data, masker, report);
    result = withProtocolFields(result, masked) as Record<string, unknown>;
    return result === message.result ? message : { ...message, result };
  }
  if (isErrorResponse(message)) {
    const error = maskKeepingBinary(message.error, masker, report);
    return error === message.error ? message : { ...message, error };
  }
  // A request or notification from the server: sampling, elicitation, logging, progress ...
  if ('params' in message && message.params !== undefined) {
    const params = withProtocolFields(message.params, maskKeepingBinary(withoutProtocolFields(message.params), masker, report)) as Record<string, unknown>;
    return params === message.params ? message : { ...message, params };
  }
  return message;
}

/**
 * A tool list that depends on who asks must not be shared across callers by a cache
 * (2026-07-28 caching: "private" results MUST NOT be shared across auth contexts).
 */
function privateWhenPerCaller(result: Record<string, unknown>, tools: ToolPolicy): Record<string, unknown> {
  return tools.callerDependent && result.cacheScope !== 'private' ? { ...result, cacheScope: 'private' } : result;
}

/**
 * An input_required result may ask the client to sample with tools (sampling/createMessage
 * with `tools`): tools the caller may not use are taken out, as from tools/list.
 */
function filterInputRequests(result: Record<string, unknown>, groups: readonly string[], tools: ToolPolicy): Record<string, unknown> {
  const requests = result.inputRequests;
  if (typeof requests !== 'object' || requests === null) return result;
  let out: Record<string, unknown> | undefined;
  for (const [key, req] of Object.entries(requests)) {
    const r = req as { method?: unknown; params?: { tools?: unknown } } | null;
    if (r?.method !== 'sampling/createMessage' || !Array.isArray(r.params?.tools)) continue;
    const visible = (r.params.tools as unknown[]).filter((t) => {
      const name = (t as { name?: unknown } | null)?.name;
      return typeof name === 'string' && tools.visible(name, groups);
    });
    (out ??= { ...(requests as Record<string, unknown>) })[key] = { ...r, params: { ...r.params, tools: visible } };
  }
  return out === undefined ? result : { ...result, inputRequests: out };
}

/** tasks/result answers with the task's own result: for a tool's task, a tool result. */
function isTaskResultRead(answers: RequestContext | undefined): boolean {
  return answers?.method === 'tasks/result';
}

/**
 * The audit record's copy of a message the client gets: the protocol fields the client needs
 * unchanged (resource URIs, cursors, _meta) are masked here by value detectors only.
 */
export function auditCopy<T>(value: T, masker: Masker, report: MaskReport): T {
  return mapProtocolFields(value, (v) => maskStrings(v, masker, report)) as T;
}

function filterToolList(result: Record<string, unknown>, groups: readonly string[], tools: ToolPolicy): Record<string, unknown> {
  const list = result.tools;
  if (!Array.isArray(list)) return result;
  const visible = list.filter((t: unknown) => {
    const name = (t as { name?: unknown } | null)?.name;
    // A tool without a usable name cannot be matched against the policy: hide it.
    return typeof name === 'string' && tools.visible(name, groups);
  });
  return visible.length === list.length ? result : { ...result, tools: visible };
}

/**
 * Tool definitions are metadata, not data: their schemas must reach the client intact (a
 * `fields` path such as $..taxId would otherwise blank the schema of the taxId property).
 * Descriptions, titles and schema strings (examples, defaults) are still scanned as text.
 */
function maskToolList(result: Record<string, unknown>, masker: Masker, report: MaskReport): Record<string, unknown> {
  const tools = result.tools;
  if (!Array.isArray(tools)) return result;
  let changed = false;
  const masked = tools.map((tool: unknown) => {
    const out = maskStrings(tool, masker, report);
    changed ||= out !== tool;
    return out;
  });
  return changed ? { ...result, tools: masked } : result;
}

/** Text masking of every string value (never keys), without JSON-document semantics. */
function maskStrings(value: unknown, masker: Masker, report: MaskReport): unknown {
  if (typeof value === 'string') return masker.maskText(value, report);
  if (Array.isArray(value)) {
    const list = value as unknown[];
    let out: unknown[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const m = maskStrings(list[i], masker, report);
      if (m !== list[i]) (out ??= list.slice())[i] = m;
    }
    return out ?? value;
  }
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k in obj) {
    const v = obj[k];
    const m = maskStrings(v, masker, report);
    if (m !== v) (out ??= { ...obj })[k] = m;
  }
  return out ?? value;
}

/**
 * structuredContent is masked as a document of its own, so `masking.fields` paths written
 * against the tool's output ($.customer.taxId) find their fields there; text blocks holding
 * JSON are documents of their own inside the masker.
 *
 * Tools that return structuredContent usually repeat it as a JSON text block (the spec asks
 * them to, for older clients). A text block that is exactly the serialization of
 * structuredContent gets the serialization of the masked object instead of being masked a
 * second time: the same result, for half the work. Counts still count both copies.
 */
function maskToolResult(result: Record<string, unknown>, masker: Masker, report: MaskReport): Record<string, unknown> {
  const { structuredContent, ...rest } = result;
  if (structuredContent === undefined) return maskKeepingBinary(result, masker, report);
  const structuredReport = new MaskReport();
  const maskedStructured = masker.maskJson(structuredContent, structuredReport);
  report.merge(structuredReport);
  const content = Array.isArray(rest.content) ? (rest.content as unknown[]) : [];
  const serialized = content.length > 0 ? JSON.stringify(structuredContent) : '';
  const copies = new Set<number>();
  content.forEach((block, i) => {
    const b = block as { type?: unknown; text?: unknown } | null;
    if (b?.type === 'text' && b.text === serialized) copies.add(i);
  });
  if (copies.size === 0) {
    const maskedRest = maskKeepingBinary(rest, masker, report);
    if (maskedRest === rest && maskedStructured === structuredContent) return result;
    return { ...maskedRest, structuredContent: maskedStructured };
  }
  const blank = { ...rest, content: content.map((block, i) => (copies.has(i) ? { type: 'text', text: '' } : block)) };
  const maskedRest = maskKeepingBinary(blank, masker, report);
  const maskedText = maskedStructured === structuredContent ? undefined : JSON.stringify(maskedStructured);
  for (let n = 0; n < copies.size; n++) report.merge(structuredReport);
  const restored = (maskedRest.content).map((block, i) =>
    copies.has(i) ? (maskedText === undefined ? content[i] : { ...(content[i] as Record<string, unknown>), text: maskedText }) : block,
  );
  return { ...maskedRest, content: restored, structuredContent: maskedStructured };
}

const BINARY = '\u0000mcp-residency-binary:';

/**
 * Masks every string, base64 payloads (image/audio `data`, resource `blob`) by their own rules
 * (blobs.ts): rewriting bytes of an image because they happen to spell a key would corrupt it
 * without protecting anything, while the base64 of a text is text. Those payloads are swapped
 * for placeholders, the rest masked, then the masked payloads put back.
 */
export function maskKeepingBinary<T>(value: T, masker: Masker, report: MaskReport): T {
  const stash: string[] = [];
  const changed = { blob: false };
  const stripped = stashBinary(value, stash, masker, report, changed);
  const masked = masker.maskJson(stripped, report);
  if (stash.length === 0) return masked as T;
  return (masked === stripped && !changed.blob ? value : unstash(masked, stash)) as T;
}

function stashBinary(value: unknown, stash: string[], masker: Masker, report: MaskReport, changed: { blob: boolean }): unknown {
  if (Array.isArray(value)) {
    const list = value as unknown[];
    let out: unknown[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const s = stashBinary(list[i], stash, masker, report, changed);
      if (s !== list[i]) (out ??= list.slice())[i] = s;
    }
    return out ?? value;
  }
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const binaryKey = (obj.type === 'image' || obj.type === 'audio') && typeof obj.data === 'string' ? 'data' : typeof obj.blob === 'string' ? 'blob' : undefined;
  // for...in, not entries: this walks every message, and entries allocates a pair per member.
  for (const k in obj) {
    const v = obj[k];
    let s: unknown;
    if (k === binaryKey) {
      const safe = maskBlob(v as string, obj.mimeType, masker, report);
      changed.blob ||= safe !== v;
      stash.push(safe);
      s = `${BINARY}${stash.length - 1}`;
    } else {
      s = stashBinary(v, stash, masker, report, changed);
    }
    if (s !== v) (out ??= { ...obj })[k] = s;
  }
  return out ?? value;
}

function unstash(value: unknown, stash: readonly string[]): unknown {
  if (typeof value === 'string') return value.startsWith(BINARY) ? stash[Number(value.slice(BINARY.length))] : value;
  if (Array.isArray(value)) return value.map((v) => unstash(v, stash));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = unstash(v, stash);
  return out;
}

/** The masked form of a client request for the audit record (arguments reach the server unmasked). */
export function auditParams(request: JsonRpcRequest, masker: Masker, report: MaskReport): unknown {
  if (request.params === undefined) return undefined;
  const { _meta: _ignored, ...params } = request.params;
  return maskKeepingBinary(params, masker, report);
}
