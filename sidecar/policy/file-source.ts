// A policy from a YAML file (standalone use: `mcp-residency sidecar --policy file.yaml`).
// The file is read at start and again whenever it changes; an edit that makes it invalid
// takes effect too: the sidecar then refuses traffic and says why, rather than enforce
// something other than what the file says.
import { stat } from 'node:fs/promises';
import { formatReport, loadPolicyFile } from '../../policy/load.ts';
import type { PolicyUpdate } from './holder.ts';

export class FilePolicySource {
  readonly #file: string;
  readonly #pollMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lastStamp = '';

  constructor(file: string, options: { pollMs?: number } = {}) {
    this.#file = file;
    this.#pollMs = options.pollMs ?? 1_000;
  }

  async load(): Promise<PolicyUpdate> {
    const { policies, reports } = await loadPolicyFile(this.#file);
    const errors = reports.filter((r) => r.severity === 'error');
    if (errors.length > 0) return { ok: false, reason: `${this.#file} is invalid: ${errors.map(formatReport).join('; ')}` };
    if (policies.length !== 1) {
      return { ok: false, reason: `${this.#file} holds ${policies.length} policies; the sidecar enforces exactly one` };
    }
    return { ok: true, policy: policies[0]! };
  }

  /** Loads now, then calls `onUpdate` after every change to the file (size, mtime or inode). */
  async start(onUpdate: (u: PolicyUpdate) => Promise<void>): Promise<void> {
    this.#lastStamp = await fileStamp(this.#file);
    await onUpdate(await this.load());
    const tick = async (): Promise<void> => {
      const stamp = await fileStamp(this.#file);
      if (stamp !== this.#lastStamp) {
        this.#lastStamp = stamp;
        await onUpdate(await this.load());
      }
    };
    const loop = (): void => {
      this.#timer = setTimeout(() => void tick().finally(loop), this.#pollMs);
      this.#timer.unref();
    };
    loop();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

/** What changes when a file is edited or replaced (size, mtime or inode), for polling. */
export async function fileStamp(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code ?? ''}`;
  }
}
