// The audit module's public face for the gateways and the sidecar command.
import type { ResolvedPolicy } from '../../policy/types.ts';
import { secretPath } from '../secrets.ts';

export type { AuditDecision, AuditEntry, AuditKind, AuditRecord, Principal } from './record.ts';
export { GENESIS_PREV, InvalidAuditEntry } from './record.ts';
export { AUDIT_LOG_DEFAULTS, AuditLogCorrupt, AuditWriteError, openAuditLog } from './log.ts';
export type { AuditLog, AuditLogOptions, Durability, RetentionOptions } from './log.ts';
export { SHIPPER_DEFAULTS, startShipper } from './shipper.ts';
export type { Shipper, ShipperOptions, ShipperStatus } from './shipper.ts';
export { formatProblem, verifyAuditDir } from './verify.ts';
export type { VerifyProblem, VerifyResult } from './verify.ts';
export { canonicalJson } from './canonical.ts';

/** Where the Azure Monitor connection string of a policy lives, or undefined when the policy ships nowhere. */
export function connectionStringFile(policy: ResolvedPolicy, secretsDir: string | undefined): string | undefined {
  const ref = policy.audit.azureMonitor?.connectionStringSecret;
  if (ref === undefined) return undefined;
  if (secretsDir === undefined) throw new Error(`audit.azureMonitor needs secret ${ref.name}/${ref.key}, but no --secrets-dir was given`);
  return secretPath(secretsDir, ref.name, ref.key);
}
