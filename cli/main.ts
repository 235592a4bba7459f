#!/usr/bin/env node
// The mcp-residency executable: one binary, the subcommands of the contract.
import { runMain, type CommandGroup } from './command.ts';
import { policyGroup } from './commands/policy.ts';
import { operatorCommand } from './commands/operator.ts';
import { maskCommand } from './commands/mask.ts';
import { sidecarCommand } from './commands/sidecar.ts';
import { demoCommand } from './commands/demo.ts';
import { auditGroup } from './commands/audit.ts';
import { approvalsGroup } from './commands/approvals.ts';
import { toolsGroup } from './commands/tools.ts';
import { captureGroup } from './commands/capture.ts';
import { injectCommand } from './commands/inject.ts';

const root: CommandGroup = {
  name: 'mcp-residency',
  summary: 'mcp-residency: data-protection control for MCP servers (sidecar, operator and tools)',
  commands: [sidecarCommand, demoCommand, policyGroup, auditGroup, approvalsGroup, toolsGroup, maskCommand, operatorCommand, captureGroup, injectCommand],
};

process.exitCode = await runMain(root, process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
