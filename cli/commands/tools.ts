// `mcp-residency tools pin|list|diff|approve|reject`: the review side of tool pinning (rug-pull
// defence). `pin` lists a live server's tools and writes their fingerprints into a policy file
// (GitOps). The others decide on changed or new tool definitions: in a cluster on MCPApprovals
// of kind tool, with the user's own Kubernetes identity (the operator's webhook checks it);
// with --sidecar, on a standalone sidecar's admin port with an OIDC token. Also a kubectl
// plugin: `kubectl mcp-residency tools ...`.
import { readFile, writeFile } from 'node:fs/promises';
import { APPROVALS } from '../../kube/resources.ts';
import { renderDiff, type FieldChange } from '../../sidecar/pinning/fingerprint.ts';
import { CliError, defineCommand, type CommandGroup } from '../command.ts';
import { age, decideInCluster, getApproval, kube, sidecarCall, table, target, type Approval } from './approvals.ts';

interface PendingView {
  tool: string;
  change: 'changed' | 'new';
  fingerprint: string;
  pinned?: string;
  diff: FieldChange[];
  requester: { sub: string };
  observedAt: string;
}

/** What a pending change looks like to a reviewer, whichever side it came from. */
function describeChange(head: [string, string][], diff: readonly FieldChange[], tool: string): string {
  const width = Math.max(...head.map(([k]) => k.length)) + 2;
  return `${head.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n')}\n\n${renderDiff(tool, diff)}`;
}

const pin = defineCommand({
  name: 'pin',
  summary: "List a live MCP server's tools and pin their current definitions in a policy file",
  description:
    'Connects to the server (Streamable HTTP), lists its tools and writes spec.tools.pins: one fingerprint per tool, SHA-256 over the canonical JSON of name, title, description, inputSchema, outputSchema and annotations. Review the definitions before you commit the file. Without --policy the pins are printed as YAML.',
  flags: {
    server: { type: 'string', value: 'URL', required: true, help: 'the MCP endpoint, e.g. http://127.0.0.1:8080/mcp' },
    token: { type: 'string', value: 'TOKEN', help: 'a bearer token for the server' },
    policy: { type: 'string', value: 'FILE', help: 'the policy file to update in place (its other content and comments are kept)' },
  },
  examples: ['mcp-residency tools pin --server http://127.0.0.1:8080/mcp --policy policy.yaml'],
  async run({ flags, io }) {
    // Loaded here, not with the CLI: the SDK and yaml would slow every other command's start.
    const [{ livePins }, { parseDocument, stringify }] = await Promise.all([import('../../sidecar/pinning/live.ts'), import('yaml')]);
    let url: URL;
    try {
      url = new URL(flags.server);
    } catch {
      throw new CliError(`--server: "${flags.server}" is not a URL`, 2);
    }
    let pins;
    try {
      pins = await livePins(url, flags.token);
    } catch (err) {
      throw new CliError(`cannot list the tools of ${url.href}: ${(err as Error).message}`);
    }
    if (flags.policy === undefined) {
      io.stdout.write(stringify({ pins }));
      return 0;
    }
    let text: string;
    try {
      text = await readFile(flags.policy, 'utf8');
    } catch (err) {
      throw new CliError(`--policy: cannot read ${flags.policy}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const doc = parseDocument(text);
    if (doc.errors.length > 0 || doc.get('kind') !== 'MCPResidencyPolicy') throw new CliError(`--policy: ${flags.policy} is not one MCPResidencyPolicy document`);
    doc.setIn(['spec', 'tools', 'pins'], doc.createNode(pins, { flow: false }));
    await writeFile(flags.policy, doc.toString({ lineWidth: 0 }));
    io.stdout.write(`pinned ${pins.length} tools of ${url.href} in ${flags.policy}: ${pins.map((p) => p.name).join(', ')}\n`);
    return 0;
  },
});

const list = defineCommand({
  name: 'list',
  summary: 'List changed or new tool definitions waiting for review',
  flags: { ...target, all: { type: 'boolean', help: 'also approved and rejected ones' } },
  async run({ flags, io }) {
    if (flags.sidecar) {
      const { items } = (await sidecarCall(flags, '/tools/pending')) as { items: PendingView[] };
      io.stdout.write(table([['TOOL', 'CHANGE', 'FINGERPRINT', 'SEEN BY', 'SEEN'], ...items.map((c) => [c.tool, c.change, c.fingerprint, c.requester.sub, age(c.observedAt)])]));
      return 0;
    }
    const { client, namespace } = await kube(flags, io.env);
    try {
      const found = await client.listAll<Approval>(APPROVALS, { namespace, labelSelector: 'mcpresidency.io/kind=tool' });
      const items = found.items.filter((a) => flags.all || (a.status?.phase ?? 'Pending') === 'Pending');
      if (items.length === 0) return io.stdout.write(`no ${flags.all ? '' : 'pending '}tool changes in namespace ${namespace}\n`), 0;
      io.stdout.write(
        table([
          ['NAME', 'TOOL', 'POLICY', 'PHASE', 'DECIDED-BY', 'SEEN'],
          ...items.map((a) => [a.metadata.name, a.spec.tool, a.spec.policy, a.status?.phase ?? 'Pending', a.status?.decidedBy ?? '-', age(a.spec.requestedAt)]),
        ]),
      );
      return 0;
    } finally {
      client.close();
    }
  },
});

const diff = defineCommand({
  name: 'diff',
  summary: 'Show what changed in a tool definition (masked), before deciding',
  args: { name: 'NAME', min: 1, max: 1 },
  flags: target,
  async run({ flags, args, io }) {
    const name = args[0]!;
    if (flags.sidecar) {
      const { items } = (await sidecarCall(flags, '/tools/pending')) as { items: PendingView[] };
      const c = items.find((i) => i.tool === name);
      if (c === undefined) throw new CliError(`no change of tool "${name}" waits for review`);
      io.stdout.write(describeChange([['Tool', c.tool], ['Change', c.change], ['Pinned', c.pinned ?? '(none)'], ['Fingerprint', c.fingerprint], ['Seen by', c.requester.sub]], c.diff, c.tool));
      return 0;
    }
    const { client, namespace } = await kube(flags, io.env);
    try {
      const a = await getApproval(client, namespace, name);
      if (a.spec.kind !== 'tool') throw new CliError(`MCPApproval ${name} is a held call, not a tool change: use mcp-residency approvals show`);
      let facts: { change?: string; pinned?: string | null; diff?: FieldChange[] } = {};
      try {
        facts = JSON.parse(a.spec.arguments) as typeof facts;
      } catch {
        // shown without a diff
      }
      const s = a.status ?? {};
      io.stdout.write(
        describeChange(
          [
            ['Name', a.metadata.name],
            ['Policy', a.spec.policy],
            ['Tool', a.spec.tool],
            ['Change', facts.change ?? '?'],
            ['Pinned', facts.pinned ?? '(none)'],
            ['Fingerprint', a.spec.argumentsDigest],
            ['Seen by', a.spec.requester.sub],
            ['Phase', `${s.phase ?? 'Pending'}${s.decidedBy ? ` by ${s.decidedBy}` : ''}${s.reason ? `: ${s.reason}` : ''}`],
          ],
          facts.diff ?? [],
          a.spec.tool,
        ),
      );
      return 0;
    } finally {
      client.close();
    }
  },
});

function decision(verdict: 'approve' | 'reject') {
  return defineCommand({
    name: verdict,
    summary: verdict === 'approve' ? 'Pin a changed or new tool definition for every pod of the policy' : 'Keep a changed or new tool definition out',
    args: { name: 'NAME', min: 1, max: 1 },
    flags: {
      ...target,
      reason: { type: 'string', value: 'TEXT', help: 'why; recorded with the decision and in the audit log' },
      fingerprint: { type: 'string', value: 'SHA256', help: 'with --sidecar: the fingerprint `tools diff` showed (you decide on what you saw)' },
    },
    async run({ flags, args, io }) {
      const name = args[0]!;
      if (!flags.sidecar) return decideInCluster(verdict === 'approve' ? 'approve' : 'deny', name, flags, io);
      if (!flags.fingerprint) throw new CliError('--fingerprint is required with --sidecar: copy it from `mcp-residency tools diff`', 2);
      const body = JSON.stringify({ fingerprint: flags.fingerprint, ...(flags.reason ? { reason: flags.reason } : {}) });
      const r = (await sidecarCall(flags, `/tools/${encodeURIComponent(name)}/${verdict}`, { method: 'POST', body })) as { fingerprint: string; decidedBy: string };
      io.stdout.write(`${verdict === 'approve' ? 'pinned' : 'rejected'} ${name} at ${r.fingerprint} as ${r.decidedBy}\n`);
      return 0;
    },
  });
}

export const toolsGroup: CommandGroup = {
  name: 'tools',
  summary: 'Pin tool definitions and review changed ones (also: kubectl mcp-residency tools ...)',
  commands: [pin, list, diff, decision('approve'), decision('reject')],
};
