// Pins of a standalone sidecar: approved (and rejected) tool definitions in a JSON file that
// survives restarts (default <audit-dir>/tool-pins.json), written atomically (temporary file,
// then rename). Changes waiting for review are held in memory: the next tools/list after a
// restart finds them again. Decisions come through the admin port (admin-routes.ts).
import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { PinStore, Reviewers, ToolChange } from './store.ts';

export interface PinDecision {
  readonly policy: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly verdict: 'approved' | 'rejected';
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly reason?: string;
}

interface PinFile {
  decisions: PinDecision[];
}

export type PendingChange = ToolChange & { readonly approverGroups: readonly string[] };

export class FilePinStore implements PinStore {
  readonly #file: string;
  readonly #adminUrl: () => string;
  #decisions: PinDecision[] = [];
  readonly #pending = new Map<string, PendingChange>();
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string, adminUrl: () => string) {
    this.#file = file;
    this.#adminUrl = adminUrl;
  }

  get file(): string {
    return this.#file;
  }

  /** Reads the file; a missing file is an empty one, an unreadable one an error naming it. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new Error(`cannot read the tool pins file ${this.#file}: ${(err as Error).message}`, { cause: err });
    }
    let parsed: Partial<PinFile>;
    try {
      parsed = JSON.parse(text) as Partial<PinFile>;
    } catch (err) {
      throw new Error(`the tool pins file ${this.#file} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!Array.isArray(parsed.decisions)) throw new Error(`${this.#file}: "decisions" must be a list`);
    this.#decisions = parsed.decisions;
  }

  approved(policy: string, tool: string): readonly string[] {
    const out: string[] = [];
    for (let i = this.#decisions.length - 1; i >= 0; i--) {
      const d = this.#decisions[i]!;
      if (d.policy === policy && d.name === tool && d.verdict === 'approved') out.push(d.fingerprint);
    }
    return out;
  }

  rejected(policy: string, tool: string, fingerprint: string): boolean {
    return this.#decisions.some((d) => d.policy === policy && d.name === tool && d.fingerprint === fingerprint && d.verdict === 'rejected');
  }

  propose(change: ToolChange, reviewers: Reviewers | undefined): Promise<void> {
    const key = `${change.policy}\n${change.tool}`;
    if (this.#pending.get(key)?.fingerprint !== change.fingerprint) this.#pending.set(key, { ...change, approverGroups: reviewers?.approverGroups ?? [] });
    return Promise.resolve();
  }

  howToApprove(change: Pick<ToolChange, 'tool' | 'fingerprint'>): string {
    return `mcp-residency tools diff ${change.tool} --sidecar ${this.#adminUrl()}, then tools approve ${change.tool} --fingerprint ${change.fingerprint}`;
  }

  pending(policy: string): PendingChange[] {
    return [...this.#pending.values()].filter((c) => c.policy === policy && !this.rejected(policy, c.tool, c.fingerprint) && !this.approved(policy, c.tool).includes(c.fingerprint));
  }

  /**
   * Records a decision on a pending change. The approver must not be the principal whose list
   * revealed it, and decides on the exact fingerprint they were shown. `record` runs before the
   * decision takes effect: when it throws (audit log down), nothing changes.
   */
  async decide(
    policy: string,
    tool: string,
    fingerprint: string | undefined,
    verdict: PinDecision['verdict'],
    approver: { readonly sub: string },
    reason: string | undefined,
    record: (change: PendingChange) => Promise<unknown>,
  ): Promise<{ ok: true; change: PendingChange } | { ok: false; status: 403 | 404 | 409; message: string }> {
    const change = this.#pending.get(`${policy}\n${tool}`);
    if (change === undefined || !this.pending(policy).includes(change)) return { ok: false, status: 404, message: `no tool change of "${tool}" waits for review in policy ${policy}` };
    if (fingerprint !== change.fingerprint) return { ok: false, status: 409, message: `the pending definition of "${tool}" is ${change.fingerprint}, not ${fingerprint ?? '(none given)'}; look at the diff again` };
    if (approver.sub === change.requester.sub) return { ok: false, status: 403, message: 'nobody may decide on a tool change their own tools/list revealed' };
    const decision: PinDecision = { policy, name: tool, fingerprint, verdict, decidedBy: approver.sub, decidedAt: new Date().toISOString(), ...(reason ? { reason } : {}) };
    await record(change);
    const next = [...this.#decisions, decision];
    await this.#save(next);
    this.#decisions = next;
    this.#pending.delete(`${policy}\n${tool}`);
    return { ok: true, change };
  }

  #save(decisions: PinDecision[]): Promise<void> {
    const write = async (): Promise<void> => {
      const tmp = `${this.#file}.${randomUUID()}.tmp`;
      await writeFile(tmp, `${JSON.stringify({ decisions } satisfies PinFile, null, 2)}\n`);
      await rename(tmp, this.#file);
    };
    this.#writing = this.#writing.then(write, write);
    return this.#writing;
  }
}
