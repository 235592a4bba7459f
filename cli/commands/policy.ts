import { defineCommand, type CommandGroup } from '../command.ts';

const validate = defineCommand({
  name: 'validate',
  summary: 'Check MCPResidencyPolicy files before you apply them',
  description: `
Reads each file (one or more YAML documents, as kubectl apply -f takes them), validates every
MCPResidencyPolicy in it and prints one line per problem: file:line:column: field.path: what is
wrong. Documents of other kinds are skipped. Exits 0 when every policy is valid (warnings
allowed), 1 otherwise.`,
  args: { name: 'FILE...', min: 1 },
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'print problems only, not the valid policies' },
  },
  examples: ['mcp-residency policy validate examples/*.yaml'],
  async run({ flags, args, io }) {
    const { formatReport, loadPolicyFile } = await import('../../policy/load.ts');
    let failed = false;
    for (const file of args) {
      const { policies, reports, skipped } = await loadPolicyFile(file);
      for (const r of reports) io.stderr.write(`${formatReport(r)}\n`);
      if (reports.some((r) => r.severity === 'error')) {
        failed = true;
        continue;
      }
      if (!flags.quiet) {
        for (const p of policies) io.stdout.write(`${file}: ${p.name}${p.namespace ? ` (namespace ${p.namespace})` : ''}: valid\n`);
        if (skipped.length > 0) io.stdout.write(`${file}: skipped ${skipped.join(', ')} (not policies)\n`);
      }
    }
    return failed ? 1 : 0;
  },
});

export const policyGroup: CommandGroup = {
  name: 'policy',
  summary: 'Work with MCPResidencyPolicy files',
  commands: [validate],
};
