// What an approval notification says, as data: who asked, which tool, the masked arguments, until
// when, and the exact commands that decide it; then, as a follow-up, the decision. Pure: the
// Teams card and the generic (Slack-compatible) JSON are two renderings of the same facts.
import type { ApprovalPhase } from '../audit/record.ts';

export interface ApprovalNotice {
  /** Kubernetes: namespace/name of the MCPApproval; standalone: the approval id. */
  readonly id: string;
  readonly phase: ApprovalPhase;
  readonly policy: string;
  readonly tool: string;
  readonly requester: string;
  readonly requesterGroups: readonly string[];
  /** Masked: only what the audit record may hold ever leaves the process. */
  readonly maskedArguments: unknown;
  readonly expiresAt: string;
  readonly approverGroups: readonly string[];
  /** For a decision: who decided (or the requester for expired/abandoned) and why. */
  readonly actor: string;
  readonly reason: string;
  readonly pod: string | undefined;
}

export interface DecisionCommands {
  readonly approve: string;
  readonly deny: string;
}

const MAX_ARGUMENTS_CHARS = 2000;

/** The commands an approver runs; in a cluster the kubectl plugin, standalone the admin port. */
export function decisionCommands(id: string, adminUrl: string | undefined): DecisionCommands {
  const slash = id.indexOf('/');
  if (slash > 0) {
    const ns = id.slice(0, slash);
    const name = id.slice(slash + 1);
    return {
      approve: `kubectl mcp-residency approvals approve ${name} -n ${ns}`,
      deny: `kubectl mcp-residency approvals deny ${name} -n ${ns} --reason "..."`,
    };
  }
  const at = adminUrl ?? 'http://SIDECAR:15090';
  return {
    approve: `mcp-residency approvals approve ${id} --sidecar ${at} --token "$TOKEN"`,
    deny: `mcp-residency approvals deny ${id} --sidecar ${at} --token "$TOKEN" --reason "..."`,
  };
}

export function argumentsText(masked: unknown): string {
  const text = JSON.stringify(masked ?? {}, null, 2);
  return text.length <= MAX_ARGUMENTS_CHARS ? text : `${text.slice(0, MAX_ARGUMENTS_CHARS)}\n... (truncated; see approvals show)`;
}

export function headline(n: ApprovalNotice): string {
  switch (n.phase) {
    case 'requested':
      return `Approval needed: ${n.requester} wants to call ${n.tool}`;
    case 'approved':
      return `Approved by ${n.actor}: ${n.tool} for ${n.requester}`;
    case 'rejected':
      return `Rejected by ${n.actor}: ${n.tool} for ${n.requester}`;
    case 'expired':
      return `Expired without a decision: ${n.tool} for ${n.requester}`;
    default:
      return `Withdrawn: ${n.tool} for ${n.requester} (${n.reason})`;
  }
}

/** Name/value pairs shown under the headline. */
export function facts(n: ApprovalNotice): [string, string][] {
  const f: [string, string][] = [
    ['Approval', n.id],
    ['Tool', n.tool],
    ['Requested by', n.requesterGroups.length > 0 ? `${n.requester} (${n.requesterGroups.join(', ')})` : n.requester],
    ['Policy', n.policy],
  ];
  if (n.pod) f.push(['Pod', n.pod]);
  if (n.phase === 'requested') {
    f.push(['Expires', n.expiresAt], ['Approvers', n.approverGroups.join(', ')]);
  } else {
    f.push(['Outcome', n.phase], ['Reason', n.reason]);
  }
  return f;
}

/** Slack-compatible `text` (mrkdwn-safe plain text with code spans), and the same facts as fields. */
export function webhookPayload(n: ApprovalNotice, cmds: DecisionCommands): Record<string, unknown> {
  const lines = [headline(n), ...facts(n).map(([k, v]) => `${k}: ${v}`)];
  if (n.phase === 'requested') {
    lines.push(`Arguments (masked):\n\`\`\`\n${argumentsText(n.maskedArguments)}\n\`\`\``, `Approve: \`${cmds.approve}\``, `Deny: \`${cmds.deny}\``);
  }
  return {
    text: lines.join('\n'),
    approval: {
      id: n.id,
      phase: n.phase,
      policy: n.policy,
      tool: n.tool,
      requester: n.requester,
      expiresAt: n.expiresAt,
      ...(n.phase === 'requested' ? { arguments: n.maskedArguments, approve: cmds.approve, deny: cmds.deny } : { decidedBy: n.actor, reason: n.reason }),
    },
  };
}

/**
 * A message with one Adaptive Card: what Teams Workflows ("When a Teams webhook request is
 * received") and the older incoming webhooks both accept.
 */
export function teamsPayload(n: ApprovalNotice, cmds: DecisionCommands): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: headline(n), weight: 'Bolder', size: 'Medium', wrap: true },
    { type: 'FactSet', facts: facts(n).map(([title, value]) => ({ title, value })) },
  ];
  if (n.phase === 'requested') {
    body.push(
      { type: 'TextBlock', text: 'Arguments (masked)', weight: 'Bolder', wrap: true },
      { type: 'TextBlock', text: argumentsText(n.maskedArguments), fontType: 'Monospace', wrap: true },
      { type: 'TextBlock', text: 'Approve', weight: 'Bolder' },
      { type: 'TextBlock', text: cmds.approve, fontType: 'Monospace', wrap: true },
      { type: 'TextBlock', text: 'Deny', weight: 'Bolder' },
      { type: 'TextBlock', text: cmds.deny, fontType: 'Monospace', wrap: true },
    );
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body },
      },
    ],
  };
}
