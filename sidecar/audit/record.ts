// The audit record: what the gateways append (AuditEntry) and what the log stores (AuditRecord,
// the entry sealed with its place in the hash chain). The writer copies only the fields named
// here, so whatever else a caller's object carries never reaches the disk or Azure Monitor.

export type AuditKind = 'mcp' | 'egress' | 'approval';
export type AuditDecision = 'allow' | 'deny' | 'approved' | 'rejected' | 'error';

/** `sub` is "anonymous" when authentication is off. */
export interface Principal {
  sub: string;
  issuer?: string;
  clientId?: string;
  groups?: string[];
}

/** What callers append; everything in it is already masked by the caller. */
export interface AuditEntry {
  kind: AuditKind;
  principal: Principal;
  decision: AuditDecision;
  /** Why: the rule that matched, the error. */
  reason?: string;
  /** JSON-RPC method (mcp) or HTTP method (egress). */
  method?: string;
  tool?: string;
  policy?: { name: string; generation?: number };
  session?: string;
  requestId?: string | number;
  /** Links approval records to their mcp record. */
  callId?: string;
  upstream?: string;
  destination?: string;
  region?: string;
  tunnel?: boolean;
  status?: number;
  durationMs?: number;
  /** Connections passed through unread (tunnels, captured traffic): bytes from the pod, and back to it. */
  bytesSent?: number;
  bytesReceived?: number;
  /** Counts by TYPE. */
  masked: Record<string, number>;
  /** Masked arguments/result; absent when audit.payloads is metadata. */
  payload?: Record<string, unknown>;
  /** kind approval: which approval, and what happened to it. */
  approval?: ApprovalFacts;
  /** Refusals before authentication: the client's address ("many" when aggregated over clients). */
  client?: string;
  /** How many identical refusals this record stands for (absent: one). */
  count?: number;
  /** What an unverified (refused) token claimed, masked: never an identity the sidecar vouches for. */
  claimed?: { sub?: string; issuer?: string };
}

export type ApprovalPhase = 'requested' | 'approved' | 'rejected' | 'expired' | 'abandoned';

export interface ApprovalFacts {
  id: string;
  phase: ApprovalPhase;
  /** sha256:<hex> of the exact arguments the approval is bound to. */
  digest?: string;
  expiresAt?: string;
}

export interface AuditRecord extends AuditEntry {
  seq: number;
  time: string;
  prev: string;
  hash: string;
}

/** `prev` of the first record ever written: 64 zeros, the width of a SHA-256 hex digest. */
export const GENESIS_PREV = '0'.repeat(64);

const KINDS: ReadonlySet<string> = new Set<AuditKind>(['mcp', 'egress', 'approval']);
const DECISIONS: ReadonlySet<string> = new Set<AuditDecision>(['allow', 'deny', 'approved', 'rejected', 'error']);
const PHASES: ReadonlySet<string> = new Set<ApprovalPhase>(['requested', 'approved', 'rejected', 'expired', 'abandoned']);
const OPTIONAL_STRINGS = ['reason', 'method', 'tool', 'session', 'callId', 'upstream', 'destination', 'region', 'client'] as const;

export class InvalidAuditEntry extends TypeError {}

/**
 * A copy of `entry` holding only the fields an AuditEntry has, checked for type. Throws
 * InvalidAuditEntry on a caller bug (wrong type, non-finite number, payload that is not JSON).
 */
export function pickEntry(entry: AuditEntry): AuditEntry {
  const e = entry as unknown as Record<string, unknown>;
  if (e === null || typeof e !== 'object') throw new InvalidAuditEntry('audit entry must be an object');
  if (typeof e.kind !== 'string' || !KINDS.has(e.kind)) throw new InvalidAuditEntry(`audit entry kind must be one of ${[...KINDS].join(', ')}`);
  if (typeof e.decision !== 'string' || !DECISIONS.has(e.decision)) {
    throw new InvalidAuditEntry(`audit entry decision must be one of ${[...DECISIONS].join(', ')}`);
  }
  const out: AuditEntry = { kind: entry.kind, principal: pickPrincipal(e.principal), decision: entry.decision, masked: pickMasked(e.masked) };
  for (const key of OPTIONAL_STRINGS) {
    const v = e[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new InvalidAuditEntry(`audit entry ${key} must be a string`);
    out[key] = v;
  }
  if (e.policy !== undefined) out.policy = pickPolicy(e.policy);
  if (e.requestId !== undefined) {
    if (typeof e.requestId === 'string') out.requestId = e.requestId;
    else out.requestId = finite(e.requestId, 'requestId');
  }
  if (e.tunnel !== undefined) {
    if (typeof e.tunnel !== 'boolean') throw new InvalidAuditEntry('audit entry tunnel must be a boolean');
    out.tunnel = e.tunnel;
  }
  if (e.status !== undefined) out.status = finite(e.status, 'status');
  if (e.durationMs !== undefined) out.durationMs = finite(e.durationMs, 'durationMs');
  if (e.bytesSent !== undefined) out.bytesSent = finite(e.bytesSent, 'bytesSent');
  if (e.bytesReceived !== undefined) out.bytesReceived = finite(e.bytesReceived, 'bytesReceived');
  if (e.payload !== undefined) {
    if (e.payload === null || typeof e.payload !== 'object' || Array.isArray(e.payload)) {
      throw new InvalidAuditEntry('audit entry payload must be a JSON object');
    }
    assertJson(e.payload, 'payload', 0);
    out.payload = e.payload as Record<string, unknown>;
  }
  if (e.approval !== undefined) out.approval = pickApproval(e.approval);
  if (e.count !== undefined) out.count = finite(e.count, 'count');
  if (e.claimed !== undefined) out.claimed = pickClaimed(e.claimed);
  return out;
}

function pickClaimed(value: unknown): { sub?: string; issuer?: string } {
  if (value === null || typeof value !== 'object') throw new InvalidAuditEntry('audit entry claimed must be an object');
  const c = value as Record<string, unknown>;
  const out: { sub?: string; issuer?: string } = {};
  for (const key of ['sub', 'issuer'] as const) {
    if (c[key] === undefined) continue;
    if (typeof c[key] !== 'string') throw new InvalidAuditEntry(`audit entry claimed.${key} must be a string`);
    out[key] = c[key];
  }
  return out;
}

function pickApproval(value: unknown): ApprovalFacts {
  if (value === null || typeof value !== 'object') throw new InvalidAuditEntry('audit entry approval must be an object');
  const a = value as Record<string, unknown>;
  if (typeof a.id !== 'string' || a.id === '') throw new InvalidAuditEntry('audit entry approval.id must be a non-empty string');
  if (typeof a.phase !== 'string' || !PHASES.has(a.phase)) throw new InvalidAuditEntry(`audit entry approval.phase must be one of ${[...PHASES].join(', ')}`);
  const out: ApprovalFacts = { id: a.id, phase: a.phase as ApprovalPhase };
  for (const key of ['digest', 'expiresAt'] as const) {
    if (a[key] === undefined) continue;
    if (typeof a[key] !== 'string') throw new InvalidAuditEntry(`audit entry approval.${key} must be a string`);
    out[key] = a[key];
  }
  return out;
}

function pickPrincipal(value: unknown): Principal {
  if (value === null || typeof value !== 'object') throw new InvalidAuditEntry('audit entry principal must be an object');
  const p = value as Record<string, unknown>;
  if (typeof p.sub !== 'string' || p.sub === '') throw new InvalidAuditEntry('audit entry principal.sub must be a non-empty string');
  const out: Principal = { sub: p.sub };
  if (p.issuer !== undefined) {
    if (typeof p.issuer !== 'string') throw new InvalidAuditEntry('audit entry principal.issuer must be a string');
    out.issuer = p.issuer;
  }
  if (p.clientId !== undefined) {
    if (typeof p.clientId !== 'string') throw new InvalidAuditEntry('audit entry principal.clientId must be a string');
    out.clientId = p.clientId;
  }
  if (p.groups !== undefined) {
    if (!Array.isArray(p.groups) || !p.groups.every((g) => typeof g === 'string')) {
      throw new InvalidAuditEntry('audit entry principal.groups must be an array of strings');
    }
    out.groups = [...(p.groups)];
  }
  return out;
}

function pickPolicy(value: unknown): { name: string; generation?: number } {
  if (value === null || typeof value !== 'object') throw new InvalidAuditEntry('audit entry policy must be an object');
  const p = value as Record<string, unknown>;
  if (typeof p.name !== 'string') throw new InvalidAuditEntry('audit entry policy.name must be a string');
  return p.generation === undefined ? { name: p.name } : { name: p.name, generation: finite(p.generation, 'policy.generation') };
}

function pickMasked(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidAuditEntry('audit entry masked must be an object of counts');
  const out: Record<string, number> = {};
  for (const type of Object.keys(value)) {
    const n = (value as Record<string, unknown>)[type];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new InvalidAuditEntry(`audit entry masked.${type} must be a count`);
    out[type] = n;
  }
  return out;
}

function finite(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidAuditEntry(`audit entry ${name} must be a finite number`);
  return value;
}

// Deep enough for any real tool payload, shallow enough that a cyclic or hostile value fails fast.
const MAX_DEPTH = 200;

/**
 * Throws unless `value` survives JSON text unchanged: the hash is computed over that text. The
 * path in a message is built only on failure: this walks every audit payload.
 */
function assertJson(value: unknown, path: string, depth: number): void {
  const trail: (string | number)[] = [];
  const fail = (what: string): never => {
    const at = trail.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
    throw new InvalidAuditEntry(`audit entry ${path}${at} ${what}`);
  };
  const walk = (v: unknown, d: number): void => {
    if (d > MAX_DEPTH) fail('is nested too deeply (or cyclic)');
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) fail('holds a non-finite number');
      return;
    }
    if (Array.isArray(v)) {
      // By index, not forEach: a sparse array's holes must fail here, not turn into null later.
      for (let i = 0; i < v.length; i++) {
        trail.push(i);
        walk(v[i], d + 1);
        trail.pop();
      }
      return;
    }
    if (typeof v === 'object') {
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) fail('holds a non-plain object');
      // Keys, not entries: entries allocates a pair per member.
      for (const k of Object.keys(v)) {
        trail.push(k);
        const member = (v as Record<string, unknown>)[k];
        if (member === undefined) fail('is undefined');
        walk(member, d + 1);
        trail.pop();
      }
      return;
    }
    fail(`holds a ${typeof v}, which JSON cannot carry`);
  };
  walk(value, depth);
}
