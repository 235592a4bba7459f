// The policy the sidecar benchmarks run under, written to a file for `sidecar --policy`: tokens
// from the bench's issuer, every tool allowed (but `delete_*`, so the decision has a rule to
// match), results masked, payloads audited masked. One place, so the gateway, footprint and
// sessions benches measure the same sidecar.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BenchPolicyOptions {
  /** metadata.name, and the file's name in `dir`. */
  readonly name: string;
  readonly issuer: string;
  readonly audience: string;
  /** Without the `delete_*` rule: every tool allowed by the default alone. */
  readonly noRules?: boolean;
  /** More members of `audit`, e.g. `azureMonitor: {...}`. */
  readonly audit?: string;
}

/** Writes the policy into `dir` and returns its path. */
export async function writeBenchPolicy(dir: string, o: BenchPolicyOptions): Promise<string> {
  const file = join(dir, `${o.name}.yaml`);
  const tools = o.noRules === true ? '{ default: allow }' : '{ default: allow, rules: [ { name: "delete_*", action: deny } ] }';
  await writeFile(
    file,
    `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: ${o.name} }
spec:
  authentication: { issuer: "${o.issuer}", audiences: ["${o.audience}"], requiredScopes: [mcp:tools] }
  tools: ${tools}
  masking: { mode: redact }
  audit: { payloads: masked${o.audit === undefined ? '' : `, ${o.audit}`} }
`,
  );
  return file;
}
