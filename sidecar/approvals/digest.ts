// The fingerprint an approval is bound to: SHA-256 over the RFC 8785 canonical JSON of the
// exact arguments. Approving `export_customers {"format":"csv"}` approves that call, not the
// tool: different arguments, a different digest, no approval.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical.ts';

export function argumentsDigest(args: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(args ?? {})).digest('hex')}`;
}
