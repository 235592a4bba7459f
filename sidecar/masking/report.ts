// What masking found in one message or request: counts by TYPE (for audit records and
// metrics), the token -> original map in pseudonymize mode (for the egress path, which puts
// the originals back into the provider's answer), and, on request, every finding.

export interface Finding {
  /** TYPE as in tokens: EMAIL, CREDIT_CARD, ..., a custom name, or FIELD. */
  readonly type: string;
  /** The detector that found it: "email", "secret:jwt", "custom:EMPLOYEE_ID", "field:$.customer.taxId". */
  readonly detector: string;
  /** Position in the string that held the value (UTF-16 code units, end exclusive). */
  readonly start: number;
  readonly end: number;
  /** Keys and indexes from the JSON root to that string; absent for plain text. */
  readonly path?: readonly (string | number)[];
}

export interface MaskReportOptions {
  /** Keep every finding (for --explain); off by default, findings cost memory. */
  readonly explain?: boolean;
}

export class MaskReport {
  /** TYPE -> number of values masked. */
  readonly counts = new Map<string, number>();
  /** Every finding, in the order masked; only when constructed with { explain: true }. */
  readonly findings: Finding[] | undefined;
  #restore: Map<string, string> | undefined;

  constructor(options: MaskReportOptions = {}) {
    this.findings = options.explain === true ? [] : undefined;
  }

  /**
   * Pseudonymize mode only: token -> the original text it replaced, kept in memory for the
   * caller that restores values. Never log or persist it. Undefined in redact mode.
   */
  get restore(): Map<string, string> | undefined {
    return this.#restore;
  }

  total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  /** The counts as an object with its keys in code-unit order (stable audit records). */
  countsObject(): Record<string, number> {
    const out: Record<string, number> = {};
    const { counts } = this;
    // Called for every audit record: most reports hold no type or one, so no arrays then.
    if (counts.size === 1) for (const k of counts.keys()) out[k] = counts.get(k)!;
    else if (counts.size > 1) for (const k of Array.from(counts.keys()).sort()) out[k] = counts.get(k)!;
    return out;
  }

  /** Records one masked value. Called by the masker. */
  record(type: string, token: string | undefined, original: string | undefined, finding: Finding | undefined): void {
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    if (token !== undefined && original !== undefined) {
      this.#restore ??= new Map();
      if (!this.#restore.has(token)) this.#restore.set(token, original);
    }
    if (finding !== undefined) this.findings?.push(finding);
  }

  /** An empty report keeping what this one keeps: work that may fail half-way records into it, then merge. */
  scratch(): MaskReport {
    return new MaskReport({ explain: this.findings !== undefined });
  }

  /** Adds another report's counts, restore map and findings to this one. */
  merge(other: MaskReport): void {
    if (other.counts.size > 0) for (const k of other.counts.keys()) this.counts.set(k, (this.counts.get(k) ?? 0) + other.counts.get(k)!);
    if (other.#restore !== undefined) {
      this.#restore ??= new Map();
      for (const [k, v] of other.#restore) if (!this.#restore.has(k)) this.#restore.set(k, v);
    }
    if (this.findings !== undefined && other.findings !== undefined) this.findings.push(...other.findings);
  }
}
