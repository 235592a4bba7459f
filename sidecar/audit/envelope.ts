// How an audit record becomes an Application Insights custom event (table customEvents, or
// AppEvents in a workspace): name "MCPResidencyAudit", every record field a property in
// customDimensions, flattened one level ("principal.sub", "policy.name"), lists and maps as
// canonical JSON text ("principal.groups", "masked", "payload"). seq, prev and hash travel too: they
// deduplicate at-least-once deliveries and let anyone compare Azure's copy with the local chain.
//
// Application Insights cuts every property value at 8192 bytes, so a longer payload is split
// into "payload", "payload.2" ... (joined in order they are the JSON text) with "payload.parts"
// saying how many; beyond PAYLOAD_MAX_PARTS it is cut and "payload.truncated" is "true" (the
// full record stays in the local log, findable by its hash).
import type { LogAttributes } from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { canonicalJson } from './canonical.ts';
import type { AuditRecord } from './record.ts';

export const AUDIT_EVENT_NAME = 'MCPResidencyAudit';
/** The exporter turns a log record carrying this attribute into a custom event of that name. */
const CUSTOM_EVENT_ATTRIBUTE = 'microsoft.custom_event.name';
export const PROPERTY_MAX_BYTES = 8192;
/** Keeps an event well under the ingestion endpoint's 64 KB item limit. */
export const PAYLOAD_MAX_PARTS = 6;

/** The customDimensions of a record's event. Pure. */
export function auditProperties(r: AuditRecord): Record<string, string> {
  const p: Record<string, string> = {};
  const put = (key: string, value: string | number | boolean | undefined): void => {
    if (value !== undefined) p[key] = String(value);
  };
  put('seq', r.seq);
  put('time', r.time);
  put('kind', r.kind);
  put('decision', r.decision);
  put('reason', r.reason);
  put('method', r.method);
  put('tool', r.tool);
  put('principal.sub', r.principal.sub);
  put('principal.issuer', r.principal.issuer);
  put('principal.clientId', r.principal.clientId);
  if (r.principal.groups !== undefined) put('principal.groups', canonicalJson(r.principal.groups));
  put('policy.name', r.policy?.name);
  put('policy.generation', r.policy?.generation);
  put('session', r.session);
  put('requestId', r.requestId);
  put('callId', r.callId);
  put('upstream', r.upstream);
  put('destination', r.destination);
  put('region', r.region);
  put('tunnel', r.tunnel);
  put('status', r.status);
  put('durationMs', r.durationMs);
  put('client', r.client);
  put('count', r.count);
  put('claimed.sub', r.claimed?.sub);
  put('claimed.issuer', r.claimed?.issuer);
  put('bytesSent', r.bytesSent);
  put('bytesReceived', r.bytesReceived);
  put('masked', canonicalJson(r.masked));
  if (r.payload !== undefined) {
    const text = canonicalJson(r.payload);
    const parts = splitUtf8(text, PROPERTY_MAX_BYTES);
    parts.slice(0, PAYLOAD_MAX_PARTS).forEach((part, i) => put(i === 0 ? 'payload' : `payload.${i + 1}`, part));
    if (parts.length > 1) put('payload.parts', Math.min(parts.length, PAYLOAD_MAX_PARTS));
    if (parts.length > PAYLOAD_MAX_PARTS) {
      put('payload.truncated', true);
      put('payload.bytes', Buffer.byteLength(text, 'utf8'));
    }
  }
  put('prev', r.prev);
  put('hash', r.hash);
  return p;
}

/** The exporter's input for one record. */
export function toLogRecord(record: AuditRecord, resource: Resource, eventName = AUDIT_EVENT_NAME): ReadableLogRecord {
  const ms = Date.parse(record.time);
  // The middle of the record's millisecond: the exporter turns hrTime into a Date through
  // seconds * 1e9 + nanos in one float (past 2^53, off by up to 128 ns) and truncates, so the
  // start of the millisecond came out 1 ms early for about one record in eight.
  const hrTime: [number, number] = [Math.floor(ms / 1000), (ms % 1000) * 1e6 + 500_000];
  const attributes: LogAttributes = { [CUSTOM_EVENT_ATTRIBUTE]: eventName, ...auditProperties(record) };
  return {
    hrTime,
    hrTimeObserved: hrTime,
    resource,
    instrumentationScope: { name: 'mcp-residency.audit' },
    attributes,
    droppedAttributesCount: 0,
  };
}

/** Splits text into pieces of at most maxBytes UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return [text];
  const parts: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      parts.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += units;
  }
  parts.push(text.slice(start));
  return parts;
}
