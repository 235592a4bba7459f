// `mcp-residency capture apply|remove|show`: the pod's traffic capture in the current network
// namespace. The injected init container `mcp-residency-init` runs `capture apply`; a test runs
// the same command inside a network namespace of its own.
import { readFile } from 'node:fs/promises';
import type { InstalledTable } from '../../sidecar/capture/executor.ts';
import { CliError, defineCommand, type CommandGroup, type CommandIO } from '../command.ts';

const DEFAULT_SIDECAR_UID = '65532';

const apply = defineCommand({
  name: 'apply',
  summary: 'install the capture rules in the current network namespace (idempotent)',
  description: `
Inbound TCP to the MCP port(s) goes to the MCP gateway (15080); every outbound TCP connection of
a process other than the sidecar goes to the transparent egress listener (15082); UDP other than
DNS to the pod's resolvers is dropped. IPv4 and IPv6 alike. The rules live in one nftables table
of their own (inet mcp_residency), replaced atomically; a second run with the same flags changes
nothing. Needs CAP_NET_ADMIN.`,
  flags: {
    'mcp-port': { type: 'string', value: 'PORT', multiple: true, help: "the MCP server's port; inbound TCP to it goes to the MCP gateway (repeatable)" },
    'sidecar-uid': { type: 'string', value: 'UID', default: DEFAULT_SIDECAR_UID, help: "the sidecar's UID: its own traffic is not captured" },
    dns: { type: 'string', value: 'ADDR', multiple: true, help: 'a resolver DNS may reach without a decision (repeatable; default: the nameservers of --resolv-conf)' },
    'resolv-conf': { type: 'string', value: 'FILE', default: '/etc/resolv.conf', help: 'where the default resolvers are read' },
    inside: { type: 'string', value: 'CIDR', multiple: true, help: 'an address range inside the boundary: passes without a decision (repeatable)' },
    'inbound-port': { type: 'string', value: 'PORT', default: '15080', help: 'where inbound MCP traffic goes (the MCP gateway)' },
    'egress-port': { type: 'string', value: 'PORT', default: '15082', help: 'where outbound TCP goes (the transparent egress listener)' },
    'dry-run': { type: 'boolean', help: 'print the plan (JSON) instead of installing it' },
  },
  examples: ['mcp-residency capture apply --mcp-port 8080 --dry-run', 'mcp-residency capture apply --mcp-port 8080 --inside 10.96.0.0/12'],
  async run({ flags, io }) {
    const { capturePlan, CaptureOptionError } = await import('../../sidecar/capture/rules.ts');
    const num = (v: string, flag: string): number => {
      if (!/^\d{1,10}$/u.test(v.trim())) throw new CliError(`--${flag}: "${v}" is not a number`, 2);
      return Number(v);
    };
    let plan;
    try {
      plan = capturePlan({
        mcpPorts: flags['mcp-port'].map((p) => num(p, 'mcp-port')),
        inboundTarget: num(flags['inbound-port'], 'inbound-port'),
        egressTarget: num(flags['egress-port'], 'egress-port'),
        sidecarUid: num(flags['sidecar-uid'], 'sidecar-uid'),
        dnsServers: flags.dns.length > 0 ? flags.dns : await defaultResolvers(flags['resolv-conf']),
        insideRanges: flags.inside,
      });
    } catch (err) {
      if (err instanceof CaptureOptionError) throw new CliError(err.message, 2);
      throw err;
    }
    if (flags['dry-run']) {
      io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      return 0;
    }
    const { applyPlan } = await import('../../sidecar/capture/executor.ts');
    const changed = await helperCall(() => applyPlan(plan, io.env));
    const rules = plan.chains.reduce((n, c) => n + c.rules.length, 0);
    io.stdout.write(changed ? `capture: installed table inet ${plan.table} (${plan.chains.length} chains, ${rules} rules)\n` : `capture: table inet ${plan.table} already in place, unchanged\n`);
    return 0;
  },
});

async function defaultResolvers(file: string): Promise<string[]> {
  const { resolvConfServers } = await import('../../sidecar/capture/rules.ts');
  try {
    return resolvConfServers(await readFile(file, 'utf8'));
  } catch (err) {
    // No resolv.conf: no resolver passes, so DNS fails closed rather than leaking.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError(`--resolv-conf ${file}: ${(err as Error).message}`);
  }
}

async function helperCall<T>(call: () => Promise<T>): Promise<T> {
  const { CaptureHelperError } = await import('../../sidecar/capture/executor.ts');
  try {
    return await call();
  } catch (err) {
    if (err instanceof CaptureHelperError) throw new CliError(`capture: ${err.message}`);
    throw err;
  }
}

const remove = defineCommand({
  name: 'remove',
  summary: 'remove the capture rules from the current network namespace',
  flags: {},
  async run({ io }) {
    const { removeTable } = await import('../../sidecar/capture/executor.ts');
    const { CAPTURE_TABLE } = await import('../../sidecar/capture/rules.ts');
    const removed = await helperCall(() => removeTable(CAPTURE_TABLE, io.env));
    io.stdout.write(removed ? `capture: removed table inet ${CAPTURE_TABLE}\n` : `capture: no table inet ${CAPTURE_TABLE}, nothing to remove\n`);
    return 0;
  },
});

const show = defineCommand({
  name: 'show',
  summary: 'show the capture rules the kernel holds in the current network namespace',
  flags: { json: { type: 'boolean', help: 'print JSON' } },
  async run({ flags, io }) {
    const { showTable } = await import('../../sidecar/capture/executor.ts');
    const { CAPTURE_TABLE } = await import('../../sidecar/capture/rules.ts');
    const table = await helperCall(() => showTable(CAPTURE_TABLE, io.env));
    if (flags.json) io.stdout.write(`${JSON.stringify(table, null, 2)}\n`);
    else printTable(table, io);
    // Exit 3 when absent, so a script can tell "no capture" from "capture in place".
    return table.present ? 0 : 3;
  },
});

function printTable(table: InstalledTable, io: CommandIO): void {
  if (!table.present) {
    io.stdout.write(`no table inet ${table.table}: traffic is not captured in this network namespace\n`);
    return;
  }
  const lines = [`table inet ${table.table}`];
  for (const c of table.chains) {
    lines.push(`  chain ${c.name} (${c.type}, hook ${c.hook}, priority ${c.priority})`);
    for (const r of c.rules) lines.push(`    ${r}`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
}

export const captureGroup: CommandGroup = {
  name: 'capture',
  summary: "capture the pod's traffic: apply, remove or show the rules (the init container runs apply)",
  commands: [apply, remove, show],
};
