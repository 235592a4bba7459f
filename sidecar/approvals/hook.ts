// The seam between the gateway and whatever decides on held calls (`action: approve`): the
// Kubernetes MCPApproval flow or the standalone admin-port flow. The gateway asks and waits.
import type { NotifyTarget } from '../../policy/types.ts';
import type { Principal } from '../audit/record.ts';

export interface ApprovalQuestion {
  readonly policy: string;
  readonly tool: string;
  /** The exact arguments; only their digest and masked form may leave the process. */
  readonly arguments: unknown;
  readonly maskedArguments: unknown;
  /** Whether the masked arguments may go into audit records (audit.payloads: masked). */
  readonly recordArguments: boolean;
  readonly principal: Principal;
  /** Links the approval's audit records to the call's. */
  readonly callId: string;
  readonly timeoutSeconds: number;
  readonly approverGroups: readonly string[];
  /** Where the request and its outcome are announced (approval.notify). */
  readonly notify?: readonly NotifyTarget[];
  /** Aborted when the client goes away: the request is then abandoned. */
  readonly signal: AbortSignal;
}

export interface ApprovalAnswer {
  readonly outcome: 'approved' | 'rejected' | 'expired' | 'abandoned' | 'unavailable';
  readonly decidedBy?: string;
  readonly reason?: string;
}

export interface ApprovalHook {
  ask(question: ApprovalQuestion): Promise<ApprovalAnswer>;
}
