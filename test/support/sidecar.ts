// Runs a whole sidecar in-process (startSidecar, the same assembly the CLI runs) on free
// loopback ports, with its policy file, secrets directory and audit directory in a temp dir.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovalHook } from '../../sidecar/approvals/hook.ts';
import { readAuditRecords } from '../../sidecar/audit/layout.ts';
import type { AuditRecord } from '../../sidecar/audit/record.ts';
import type { GatewayLimits } from '../../sidecar/inbound/scope.ts';
import { startSidecar, type RunningSidecar, type SidecarConfig, type SidecarDeps } from '../../sidecar/main.ts';
import { eventually } from './eventually.ts';
import { memoryLogger } from './log.ts';

export interface SidecarUnderTest {
  readonly sidecar: RunningSidecar;
  readonly dir: string;
  readonly auditDir: string;
  readonly policyFile: string;
  /** Everything the sidecar logged, one JSON object per line. */
  readonly logs: () => string;
  records(): Promise<AuditRecord[]>;
  /** Every byte the sidecar wrote to its audit directory. */
  auditBytes(): Promise<string>;
  writePolicy(yaml: string): Promise<void>;
  close(): Promise<void>;
}

export interface SidecarTestOptions {
  readonly upstream: string;
  readonly policy: string;
  /** secretName -> key -> value */
  readonly secrets?: Record<string, Record<string, string>>;
  readonly approvals?: ApprovalHook;
  readonly limits?: Partial<GatewayLimits>;
  readonly shipping?: SidecarDeps['shipping'];
  readonly notify?: SidecarDeps['notify'];
  readonly onActivity?: SidecarDeps['onActivity'];
  readonly shutdownDrainMs?: number;
  readonly refusalWindowMs?: number;
  /** Tool pins kept outside the temp dir, to outlive this sidecar (a restart). */
  readonly pinsFile?: string;
  /** The transparent egress listener and the capture expectation (sidecar/capture/). */
  readonly transparentListen?: SidecarConfig['transparentListen'];
  readonly capture?: SidecarConfig['capture'];
}

export async function runSidecar(options: SidecarTestOptions): Promise<SidecarUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-residency-sidecar-'));
  const auditDir = join(dir, 'audit');
  const secretsDir = join(dir, 'secrets');
  const policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, options.policy);
  for (const [name, keys] of Object.entries(options.secrets ?? {})) {
    await mkdir(join(secretsDir, name), { recursive: true });
    for (const [key, value] of Object.entries(keys)) await writeFile(join(secretsDir, name, key), value);
  }
  const { logger, text } = memoryLogger();
  const sidecar = await startSidecar(
    {
      policyFile,
      upstream: new URL(options.upstream),
      listen: { host: '127.0.0.1', port: 0 },
      egressListen: { host: '127.0.0.1', port: 0 },
      adminListen: { host: '127.0.0.1', port: 0 },
      auditDir,
      secretsDir,
      policyPollMs: 100,
      unknownKidCooldownMs: 200,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.shutdownDrainMs !== undefined ? { shutdownDrainMs: options.shutdownDrainMs } : {}),
      ...(options.refusalWindowMs !== undefined ? { refusalWindowMs: options.refusalWindowMs } : {}),
      ...(options.pinsFile ? { pinsFile: options.pinsFile } : {}),
      ...(options.transparentListen ? { transparentListen: options.transparentListen } : {}),
      ...(options.capture !== undefined ? { capture: options.capture } : {}),
    },
    { logger, ...(options.approvals ? { approvals: options.approvals } : {}), ...(options.shipping ? { shipping: options.shipping } : {}), ...(options.notify ? { notify: options.notify } : {}), ...(options.onActivity ? { onActivity: options.onActivity } : {}) },
  );
  return {
    sidecar,
    dir,
    auditDir,
    policyFile,
    logs: text,
    records: () => readAuditRecords(auditDir),
    async auditBytes() {
      let all = '';
      for (const f of await readdir(auditDir, { recursive: true })) {
        try {
          all += await readFile(join(auditDir, f), 'utf8');
        } catch {
          // a directory
        }
      }
      return all;
    },
    writePolicy: (yaml) => writeFile(policyFile, yaml),
    async close() {
      await sidecar.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once every part of the sidecar reports ready: policy loaded, keys fetched, audit open. */
export async function waitReady(sidecar: RunningSidecar, timeoutMs?: number): Promise<void> {
  await eventually('ready', () => (sidecar.readiness.report().ready ? true : undefined), timeoutMs);
}

export { eventually };
