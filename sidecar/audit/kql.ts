// The KQL that finds a data subject's audit records in Azure Monitor, across every pod that
// shipped them: the subject's pseudonym tokens (derived locally: the masking key never leaves
// the machine) in the payload or reason, or the subject as the record's principal. Pure text.
// Payloads longer than one property are split into payload, payload.2 ... (envelope.ts); they
// are joined again before matching so a token cut at a part boundary is still found.
import { AUDIT_EVENT_NAME, PAYLOAD_MAX_PARTS } from './envelope.ts';

export type KqlTable = 'customEvents' | 'AppEvents';

/** A KQL string literal. */
export function kqlString(s: string): string {
  return `"${s.replace(/\\/gu, '\\\\').replace(/"/gu, '\\"').replace(/\n/gu, '\\n').replace(/\r/gu, '\\r')}"`;
}

export function subjectKql(table: KqlTable, tokens: readonly string[], subject: string): string {
  const ai = table === 'customEvents';
  const dims = ai ? 'customDimensions' : 'Properties';
  const time = ai ? 'timestamp' : 'TimeGenerated';
  const pod = ai ? 'cloud_RoleInstance' : 'AppRoleInstance';
  const parts = Array.from({ length: PAYLOAD_MAX_PARTS }, (_, i) => `tostring(d[${kqlString(i === 0 ? 'payload' : `payload.${i + 1}`)}])`);
  const matches = [...tokens.map((t) => `text contains_cs ${kqlString(t)}`), 'tostring(d["principal.sub"]) =~ subject'];
  return [
    `// mcp-residency: audit records involving one data subject (${tokens.length} pseudonym token${tokens.length === 1 ? '' : 's'}, or the subject as principal), every pod`,
    `let subject = ${kqlString(subject)};`,
    table,
    `| where ${ai ? 'name' : 'Name'} == ${kqlString(AUDIT_EVENT_NAME)}`,
    `| extend d = ${dims}`,
    `| extend text = strcat(${parts.join(', ')}, " ", tostring(d.reason))`,
    `| where ${matches.join('\n     or ')}`,
    `| summarize arg_max(${time}, *) by hash = tostring(d.hash)`,
    `| project ${time}, pod = ${pod}, seq = tolong(d.seq), kind = tostring(d.kind), decision = tostring(d.decision),`,
    '          sub = tostring(d["principal.sub"]), tool = tostring(d.tool), reason = tostring(d.reason), hash',
    `| order by ${time} asc`,
  ].join('\n');
}
