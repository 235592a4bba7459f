#!/usr/bin/env node
// The mcp-residency executable: one binary, the subcommands of the contract.
import { CliError, dispatch, type CommandGroup } from './command.ts';
import { policyGroup } from './commands/policy.ts';
import { operatorCommand } from './commands/operator.ts';
import { maskCommand } from './commands/mask.ts';
import { sidecarCommand } from './commands/sidecar.ts';
import { demoCommand } from './commands/demo.ts';
import { auditGroup } from './commands/audit.ts';
import { approvalsGroup } from './commands/approvals.ts';

const root: CommandGroup = {
  name: 'mcp-residency',
  summary: 'mcp-residency: data-protection control for MCP servers (sidecar, operator and tools)',
  commands: [sidecarCommand, demoCommand, policyGroup, auditGroup, approvalsGroup, maskCommand, operatorCommand],
};

async function main(): Promise<void> {
  const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
  try {
    process.exitCode = await dispatch(root, process.argv.slice(2), io);
  } catch (err) {
    // Users get one line; the stack only when they ask for it.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`mcp-residency: ${message}\n`);
    if (process.env.MCP_RESIDENCY_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}

await main();
