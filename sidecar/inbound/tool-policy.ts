// Which tools a caller may use: the policy's rules, first match wins, matched on the tool
// name (glob) and the caller's groups. Pure; compiled once per policy.
import { compileGlob, type Glob } from '../../policy/glob.ts';
import type { ResolvedPolicy } from '../../policy/types.ts';

export type ToolAction = 'allow' | 'deny' | 'approve';

export interface ToolDecision {
  readonly action: ToolAction;
  /** Index of the rule that decided, or undefined for the default. */
  readonly rule: number | undefined;
  /** Human-readable, for the audit record and error messages. */
  readonly reason: string;
  /** For the client, when a deny needs more than "policy denied" (tool pinning says how to approve). */
  readonly message?: string;
}

interface CompiledRule {
  readonly glob: Glob;
  readonly groups: ReadonlySet<string> | undefined;
  readonly action: ToolAction;
}

export class ToolPolicy {
  readonly #rules: readonly CompiledRule[];
  readonly #default: 'allow' | 'deny';

  constructor(tools: ResolvedPolicy['tools']) {
    this.#rules = tools.rules.map((r) => ({ glob: compileGlob(r.name), groups: r.groups && new Set(r.groups), action: r.action }));
    this.#default = tools.default;
  }

  decide(tool: string, groups: readonly string[]): ToolDecision {
    for (const [i, rule] of this.#rules.entries()) {
      if (!rule.glob.matches(tool)) continue;
      if (rule.groups !== undefined && !groups.some((g) => rule.groups!.has(g))) continue;
      const who = rule.groups === undefined ? '' : ` for groups ${[...rule.groups].join(', ')}`;
      return { action: rule.action, rule: i, reason: `tools.rules[${i}] (${rule.action} "${rule.glob.source}"${who})` };
    }
    return { action: this.#default, rule: undefined, reason: `tools.default (${this.#default})` };
  }

  /** Whether two callers can get different answers (some rule names groups): then tool lists are per caller. */
  get callerDependent(): boolean {
    return this.#rules.some((r) => r.groups !== undefined);
  }

  /** Whether the caller should see the tool in tools/list: allowed or approvable ones. */
  visible(tool: string, groups: readonly string[]): boolean {
    return this.decide(tool, groups).action !== 'deny';
  }
}
