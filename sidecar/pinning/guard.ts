// The rug-pull defence at run time. Every tools/list answer is fingerprinted tool by tool and
// compared with the pins (the policy's `tools.pins` and what the PinStore says was approved).
// A tool that differs or has no pin is drift: recorded once per definition (audit record with
// both fingerprints and a masked diff, a metric, a review proposal), and under `enforce` it is
// taken out of the list and its calls are refused. Calls are checked against the definition
// this sidecar last saw for the tool, which is what the client was shown.
import { Counter, Gauge, type Registry } from '../admin/prometheus.ts';
import type { Logger } from '../../lib/log.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';
import type { Principal } from '../audit/record.ts';
import type { AuditSink } from '../inbound/exchange.ts';
import type { Masker } from '../masking/engine.ts';
import { MaskReport } from '../masking/engine.ts';
import type { RequestScope } from '../inbound/scope.ts';
import type { ToolDecision } from '../inbound/tool-policy.ts';
import type { Upstream } from '../inbound/upstream.ts';
import { fetchToolList } from './refresh.ts';
import { diffDefinitions, fingerprint, toolDefinition, type FieldChange, type ToolDefinition } from './fingerprint.ts';
import type { PinStore, ToolChange } from './store.ts';

export type PinState = 'pinned' | 'changed' | 'new';

interface Seen {
  readonly fingerprint: string;
  readonly definition: ToolDefinition;
  /** JSON.stringify of the definition: the same text again is the same fingerprint, without re-hashing. */
  readonly raw: string;
}

export interface ListContext {
  readonly policy: ResolvedPolicy;
  readonly masker: Masker;
  readonly principal: Principal;
  readonly session: string | undefined;
}

export interface ToolPinningOptions {
  readonly store: PinStore;
  readonly audit: AuditSink;
  readonly registry: Registry;
  readonly logger: Logger;
  /** To list the tools itself when a call names one it has not seen listed. */
  readonly upstream?: Upstream;
  readonly now?: () => number;
}

const UNSEEN = 'tools.pinning: the definition was not listed through the sidecar yet';

const MAX_REMEMBERED = 10_000;

export class ToolPinning {
  readonly #o: ToolPinningOptions;
  /** policy \n tool -> the definition last listed */
  readonly #seen = new Map<string, Seen>();
  /** Definitions by fingerprint, for diffs against a pinned one seen earlier. */
  readonly #byFingerprint = new Map<string, ToolDefinition>();
  /** policy \n tool \n fingerprint already recorded as drift */
  readonly #reported = new Set<string>();
  /** policy \n tool of listed definitions that are not pinned (the gauge) */
  readonly #unpinnedKeys = new Set<string>();
  /** The policy's own pins by tool name, built once per policy object. */
  readonly #policyPins = new WeakMap<ResolvedPolicy, ReadonlyMap<string, string>>();
  readonly #drift: Counter<'change' | 'mode'>;
  readonly #unpinned: Gauge;

  constructor(options: ToolPinningOptions) {
    this.#o = options;
    this.#drift = new Counter({
      name: 'mcp_residency_tool_drift_total',
      help: 'Tool definitions met that differ from their pin (change=changed) or have none (change=new), once per definition.',
      labelNames: ['change', 'mode'] as const,
      registers: [options.registry],
    });
    this.#unpinned = new Gauge({
      name: 'mcp_residency_tools_unpinned',
      help: 'Tools whose last listed definition is not pinned (pinning audit or enforce).',
      registers: [options.registry],
    });
  }

  get store(): PinStore {
    return this.#o.store;
  }

  state(policy: ResolvedPolicy, tool: string, fp: string): { state: PinState; pinned: string | undefined } {
    let pins = this.#policyPins.get(policy);
    if (pins === undefined) this.#policyPins.set(policy, (pins = new Map(policy.tools.pins.map((p) => [p.name, p.fingerprint]))));
    const own = pins.get(tool);
    if (own === fp) return { state: 'pinned', pinned: own };
    const approved = this.#o.store.approved(policy.name, tool);
    if (approved.includes(fp)) return { state: 'pinned', pinned: fp };
    const pinned = own ?? approved[0];
    return { state: pinned === undefined ? 'new' : 'changed', pinned };
  }

  /**
   * A tools/list result as the client may see it. Records drift first; returns ok false when
   * a drift record could not be written (the caller then withholds the answer: fail closed).
   */
  async screenList(result: Record<string, unknown>, ctx: ListContext): Promise<{ result: Record<string, unknown>; ok: boolean }> {
    const mode = ctx.policy.tools.pinning;
    const list = result.tools;
    if (mode === 'off' || !Array.isArray(list)) return { result, ok: true };
    const kept: unknown[] = [];
    let ok = true;
    for (const tool of list) {
      const definition = toolDefinition(tool);
      if (definition === undefined) continue; // no name: the tool rules hide it anyway
      const key = `${ctx.policy.name}\n${definition.name}`;
      const before = this.#seen.get(key);
      let fp: string;
      try {
        const raw = JSON.stringify(definition);
        fp = before?.raw === raw ? before.fingerprint : fingerprint(definition);
        if (before?.raw !== raw) this.#remember(key, { fingerprint: fp, definition, raw });
      } catch {
        continue; // not JSON: never shown
      }
      const { state, pinned } = this.state(ctx.policy, definition.name, fp);
      if (state === 'pinned') {
        this.#unpinnedKeys.delete(key);
        kept.push(tool);
        continue;
      }
      this.#unpinnedKeys.add(key);
      if (mode === 'audit') kept.push(tool);
      const previous = (pinned !== undefined ? this.#byFingerprint.get(pinned) : undefined) ?? (before?.fingerprint === pinned ? before?.definition : undefined);
      ok = (await this.#drifted(ctx, definition, fp, state, pinned, previous)) && ok;
    }
    this.#unpinned.set(this.#unpinnedKeys.size);
    return { result: kept.length === list.length ? result : { ...result, tools: kept }, ok };
  }

  /**
   * A tools/call's verdict with pinning applied: under enforce, a tool whose last listed
   * definition is not pinned (or that this sidecar never saw listed) is denied with a message
   * that says why and how to approve it.
   */
  verdict(policy: ResolvedPolicy, tool: string, base: ToolDecision): ToolDecision {
    if (policy.tools.pinning !== 'enforce' || base.action === 'deny') return base;
    const seen = this.#seen.get(`${policy.name}\n${tool}`);
    if (seen === undefined) {
      return {
        action: 'deny',
        rule: base.rule,
        reason: UNSEEN,
        message: `mcp-residency: the tool "${tool}" cannot be checked against its pin because its definition was not listed yet; call tools/list first`,
      };
    }
    const { state, pinned } = this.state(policy, tool, seen.fingerprint);
    if (state === 'pinned') return base;
    const how = this.#o.store.howToApprove({ tool, fingerprint: seen.fingerprint });
    const what = state === 'new' ? `is new (no pin), definition ${seen.fingerprint}` : `changed since it was pinned (${pinned ?? '?'} -> ${seen.fingerprint})`;
    const rejected = this.#o.store.rejected(policy.name, tool, seen.fingerprint) ? '; this definition was rejected' : '';
    return {
      action: 'deny',
      rule: base.rule,
      reason: `tools.pinning: the definition ${what}${rejected}`,
      message: `mcp-residency: the definition of tool "${tool}" ${what}${rejected}; it stays unavailable until an approver pins it: ${how}`,
    };
  }

  /**
   * The server said its tools changed: what this sidecar saw listed may be stale, so calls are
   * checked against a fresh list (see recheck) until clients list again.
   */
  listChanged(policy: ResolvedPolicy): void {
    for (const key of this.#seen.keys()) if (key.startsWith(`${policy.name}\n`)) this.#seen.delete(key);
  }

  /** Whether a verdict is the refusal of a tool this sidecar has not seen listed. */
  isUnseen(verdict: ToolDecision): boolean {
    return verdict.action === 'deny' && verdict.reason === UNSEEN && this.#o.upstream !== undefined;
  }

  /** Lists the tools in the caller's session (recording any drift), then decides again. */
  async recheck(scope: RequestScope, tool: string): Promise<ToolDecision> {
    const { runtime, caller } = scope;
    const base = runtime.engines.tools.decide(tool, caller.principal.groups);
    const result = await fetchToolList(this.#o.upstream!, scope);
    if (result !== undefined) {
      const ctx = { policy: runtime.policy, masker: runtime.engines.masker, principal: caller.principal, session: undefined };
      await this.screenList(result, ctx);
    }
    return this.verdict(runtime.policy, tool, base);
  }

  async #drifted(ctx: ListContext, definition: ToolDefinition, fp: string, state: 'changed' | 'new', pinned: string | undefined, previous: ToolDefinition | undefined): Promise<boolean> {
    const tool = definition.name;
    const key = `${ctx.policy.name}\n${tool}\n${fp}`;
    if (this.#reported.has(key)) return true;
    const mode = ctx.policy.tools.pinning;
    const report = new MaskReport();
    const diff = maskChanges(diffDefinitions(previous, definition), ctx.masker, report);
    const change: ToolChange = {
      policy: ctx.policy.name,
      tool,
      change: state,
      fingerprint: fp,
      pinned,
      definition: ctx.masker.maskJson(definition, report),
      diff,
      requester: ctx.principal,
      observedAt: new Date((this.#o.now ?? Date.now)()).toISOString(),
    };
    const what = state === 'new' ? `new tool without a pin, definition ${fp}` : `definition changed: pinned ${pinned ?? '?'}, listed ${fp}`;
    const fields = diff.map((d) => d.field).join(', ');
    try {
      await this.#o.audit.append({
        kind: 'mcp',
        principal: ctx.principal,
        decision: mode === 'enforce' ? 'deny' : 'allow',
        reason: `tools.pinning ${mode}: ${what}${fields ? ` (fields: ${fields})` : ''}${mode === 'enforce' ? '; hidden until approved' : ''}`,
        method: 'tools/list',
        tool,
        policy: ctx.policy.generation === undefined ? { name: ctx.policy.name } : { name: ctx.policy.name, generation: ctx.policy.generation },
        ...(ctx.session !== undefined ? { session: ctx.session } : {}),
        masked: report.countsObject(),
        ...(ctx.policy.audit.payloads === 'masked' ? { payload: { pinning: { mode, change: state, pinned: pinned ?? null, listed: fp, diff } } } : {}),
      });
    } catch (err) {
      this.#o.logger.error('tool drift could not be recorded', { error: err, tool });
      return false;
    }
    this.#reported.add(key);
    if (this.#reported.size > MAX_REMEMBERED) this.#reported.clear();
    this.#drift.inc({ change: state, mode });
    this.#o.logger.warn('tool definition drift', { policy: ctx.policy.name, tool, change: state, pinned, listed: fp, fields });
    try {
      await this.#o.store.propose(change, ctx.policy.approval);
    } catch (err) {
      // The record is written and the tool stays hidden; the review can be asked for again on the next list.
      this.#reported.delete(key);
      this.#o.logger.warn('cannot put the tool change up for review', { error: err, tool });
    }
    return true;
  }

  #remember(key: string, seen: Seen): void {
    this.#seen.set(key, seen);
    if (this.#byFingerprint.size > MAX_REMEMBERED) this.#byFingerprint.clear();
    this.#byFingerprint.set(seen.fingerprint, seen.definition);
  }
}

function maskChanges(changes: readonly FieldChange[], masker: Masker, report: MaskReport): FieldChange[] {
  const m = (s: string | undefined): string | undefined => (s === undefined ? undefined : masker.maskText(s, report));
  return changes.map((c) => {
    const before = m(c.before);
    const after = m(c.after);
    return { field: c.field, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) };
  });
}
