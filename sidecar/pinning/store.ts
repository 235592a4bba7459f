// Where approved tool definitions live beyond the policy's own `tools.pins`: a file next to a
// standalone sidecar, or MCPApproval objects of kind tool that every pod of the policy watches.
// The gateway reads them synchronously (a cache), and proposes a review when it meets a
// definition nobody approved.
import type { Principal } from '../audit/record.ts';
import type { FieldChange } from './fingerprint.ts';

/** A tool definition that differs from its pin, or has none, as one sidecar met it. */
export interface ToolChange {
  readonly policy: string;
  readonly tool: string;
  readonly change: 'changed' | 'new';
  readonly fingerprint: string;
  /** The fingerprint it was pinned to (the policy's, else the newest approved), if any. */
  readonly pinned: string | undefined;
  /** The new definition and the diff, masked: they leave the process. */
  readonly definition: unknown;
  readonly diff: readonly FieldChange[];
  /** Whose tools/list showed it first: that principal may not approve it. */
  readonly requester: Principal;
  readonly observedAt: string;
}

export interface Reviewers {
  readonly approverGroups: readonly string[];
}

export interface PinStore {
  /** Fingerprints approved for the tool, newest first (the policy's pins excluded). */
  approved(policy: string, tool: string): readonly string[];
  /** Whether that exact definition was rejected. */
  rejected(policy: string, tool: string, fingerprint: string): boolean;
  /** Puts the change up for review; resolves once it is on record (or already was). */
  propose(change: ToolChange, reviewers: Reviewers | undefined): Promise<void>;
  /** How an approver approves it, for error messages and logs. */
  howToApprove(change: Pick<ToolChange, 'tool' | 'fingerprint'>): string;
}
