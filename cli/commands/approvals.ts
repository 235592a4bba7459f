// `mcp-residency approvals list|show|approve|deny`: deciding on held tool calls. In a cluster it
// works on MCPApproval objects with the user's own Kubernetes identity (the operator's webhook
// decides whether that identity may decide); with --sidecar it talks to a standalone sidecar's
// admin port with an OIDC token. Also a kubectl plugin: `kubectl mcp-residency approvals ...`.
import type { KubeClient } from '../../kube/client.ts';
import { APPROVALS } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ApprovalObject } from '../../policy/types.ts';
import { CliError, defineCommand, type CommandGroup, type CommandIO } from '../command.ts';

export const target = {
  kubeconfig: { type: 'string', value: 'FILE', help: 'kubeconfig (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)' },
  context: { type: 'string', value: 'NAME', help: 'kubeconfig context' },
  namespace: { type: 'string', short: 'n', value: 'NS', help: "namespace (default: the context's, else default)" },
  sidecar: { type: 'string', value: 'URL', help: "a standalone sidecar's admin URL (e.g. http://127.0.0.1:15090) instead of Kubernetes" },
  token: { type: 'string', value: 'TOKEN', help: 'with --sidecar: your OIDC bearer token (an approver group member)' },
} as const;

export interface Target {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly namespace: string | undefined;
  readonly sidecar: string | undefined;
  readonly token: string | undefined;
}

export type Approval = ApprovalObject & KubeObject;

export async function kube(flags: Target, env: NodeJS.ProcessEnv): Promise<{ client: KubeClient; namespace: string }> {
  // Loaded here, not with the CLI: node:https and yaml would slow every other command's start.
  const [{ KubeClient }, { loadConnection }] = await Promise.all([import('../../kube/client.ts'), import('../../kube/config.ts')]);
  const kubeconfig = flags.kubeconfig ?? env.KUBECONFIG?.split(':')[0] ?? defaultKubeconfig(env);
  let connection;
  try {
    connection = loadConnection(kubeconfig, { ...(flags.context ? { context: flags.context } : {}), env });
  } catch (err) {
    throw new CliError(`cannot load Kubernetes credentials: ${(err as Error).message}`);
  }
  return { client: new KubeClient(connection, { timeoutMs: 15_000 }), namespace: flags.namespace ?? connection.namespace ?? 'default' };
}

function defaultKubeconfig(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME;
  return home ? `${home}/.kube/config` : undefined;
}

export async function sidecarCall(flags: Target, path: string, init: RequestInit = {}): Promise<unknown> {
  if (!flags.token) throw new CliError('--sidecar needs --token (or MCP_RESIDENCY_TOKEN): an OIDC token of an approver', 2);
  let res: Response;
  try {
    res = await fetch(new URL(path, flags.sidecar), { ...init, headers: { authorization: `Bearer ${flags.token}`, 'content-type': 'application/json' } });
  } catch (err) {
    throw new CliError(`cannot reach the sidecar at ${flags.sidecar ?? ''}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new CliError(body.error ?? `the sidecar answered HTTP ${res.status}`);
  return body;
}

export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(s);
  const text = abs < 120 ? `${abs}s` : abs < 7200 ? `${Math.round(abs / 60)}m` : `${Math.round(abs / 3600)}h`;
  return s >= 0 ? `in ${text}` : `${text} ago`;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd()).join('\n')}\n`;
}

const list = defineCommand({
  name: 'list',
  summary: 'List held tool calls (pending first)',
  flags: { ...target, 'all-namespaces': { type: 'boolean', short: 'A', help: 'every namespace' }, all: { type: 'boolean', help: 'also decided, expired and used ones' } },
  async run({ flags, io }) {
    if (flags.sidecar) {
      const { items } = (await sidecarCall(flags, '/approvals')) as { items: { id: string; tool: string; requester: { sub: string }; phase: string; expiresAt: string; policy: string }[] };
      io.stdout.write(table([['ID', 'TOOL', 'REQUESTER', 'PHASE', 'EXPIRES', 'POLICY'], ...items.map((a) => [a.id, a.tool, a.requester.sub, a.phase, age(a.expiresAt), a.policy])]));
      return 0;
    }
    const { client, namespace } = await kube(flags, io.env);
    try {
      const found = await client.listAll<Approval>(APPROVALS, flags['all-namespaces'] ? {} : { namespace });
      const items = found.items
        .filter((a) => flags.all || (a.status?.phase ?? 'Pending') === 'Pending')
        .sort((a, b) => a.spec.requestedAt.localeCompare(b.spec.requestedAt));
      if (items.length === 0) {
        io.stdout.write(`no ${flags.all ? '' : 'pending '}approvals${flags['all-namespaces'] ? '' : ` in namespace ${namespace}`}\n`);
        return 0;
      }
      const head = [...(flags['all-namespaces'] ? ['NAMESPACE'] : []), 'NAME', 'TOOL', 'REQUESTER', 'PHASE', 'EXPIRES', 'POLICY'];
      io.stdout.write(
        table([
          head,
          ...items.map((a) => [
            ...(flags['all-namespaces'] ? [a.metadata.namespace ?? ''] : []),
            a.metadata.name,
            a.spec.tool,
            a.spec.requester.sub,
            a.status?.phase ?? 'Pending',
            age(a.spec.expiresAt),
            a.spec.policy,
          ]),
        ]),
      );
      return 0;
    } finally {
      client.close();
    }
  },
});

const show = defineCommand({
  name: 'show',
  summary: 'Show one held call: tool, masked arguments, digest, requester, expiry',
  args: { name: 'NAME', min: 1, max: 1 },
  flags: target,
  async run({ flags, args, io }) {
    if (flags.sidecar) {
      io.stdout.write(`${JSON.stringify(await sidecarCall(flags, `/approvals/${args[0]!}`), null, 2)}\n`);
      return 0;
    }
    const { client, namespace } = await kube(flags, io.env);
    try {
      const a = await getApproval(client, namespace, args[0]!);
      io.stdout.write(describe(a));
      return 0;
    } finally {
      client.close();
    }
  },
});

function describe(a: Approval): string {
  let args: string = a.spec.arguments;
  try {
    args = JSON.stringify(JSON.parse(a.spec.arguments), null, 2).replace(/\n/gu, '\n  ');
  } catch {
    // shown as stored
  }
  const s = a.status ?? {};
  return [
    `Name:        ${a.metadata.name}`,
    `Namespace:   ${a.metadata.namespace ?? ''}`,
    `Policy:      ${a.spec.policy}`,
    `Pod:         ${a.spec.pod ?? ''}`,
    `Tool:        ${a.spec.tool}`,
    `Requester:   ${a.spec.requester.sub}${a.spec.requester.groups?.length ? ` (groups: ${a.spec.requester.groups.join(', ')})` : ''}`,
    `Requested:   ${a.spec.requestedAt}`,
    `Expires:     ${a.spec.expiresAt} (${age(a.spec.expiresAt)})`,
    `Phase:       ${s.phase ?? 'Pending'}${s.decidedBy ? ` by ${s.decidedBy}` : ''}${s.reason ? `: ${s.reason}` : ''}`,
    `Digest:      ${a.spec.argumentsDigest}`,
    `Arguments (masked):`,
    `  ${args}`,
    '',
  ].join('\n');
}

export async function getApproval(client: KubeClient, namespace: string, name: string): Promise<Approval> {
  try {
    return await client.get<Approval>(APPROVALS, name, namespace);
  } catch (err) {
    if ((err as { status?: number }).status === 404) throw new CliError(`no MCPApproval ${name} in namespace ${namespace}`);
    throw new CliError((err as Error).message);
  }
}

async function whoAmI(client: KubeClient): Promise<string> {
  const review = await client.request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  const name = review.status?.userInfo?.username;
  if (!name) throw new CliError('the API server did not say who you are (SelfSubjectReview)');
  return name;
}

function decision(verdict: 'approve' | 'deny') {
  return defineCommand({
    name: verdict,
    summary: verdict === 'approve' ? 'Approve one held call (its exact arguments, once)' : 'Reject one held call',
    args: { name: 'NAME', min: 1, max: 1 },
    flags: { ...target, reason: { type: 'string', value: 'TEXT', help: 'why; recorded in the approval and the audit log, and shown to the caller' } },
    async run({ flags, args, io }) {
      const name = args[0]!;
      if (flags.sidecar) {
        const body = JSON.stringify({ ...(flags.reason ? { reason: flags.reason } : {}) });
        const a = (await sidecarCall(flags, `/approvals/${name}/${verdict}`, { method: 'POST', body })) as { tool: string; requester: { sub: string } };
        io.stdout.write(`${verdict === 'approve' ? 'approved' : 'rejected'} ${name} (${a.tool}, requested by ${a.requester.sub})\n`);
        return 0;
      }
      return decideInCluster(verdict, name, flags, io);
    },
  });
}

export async function decideInCluster(verdict: 'approve' | 'deny', name: string, flags: Target & { reason?: string | undefined }, io: CommandIO): Promise<number> {
  const { client, namespace } = await kube(flags, io.env);
  try {
    const a = await getApproval(client, namespace, name);
    const phase = a.status?.phase ?? 'Pending';
    if (phase !== 'Pending') throw new CliError(`MCPApproval ${name} is ${phase}${a.status?.decidedBy ? ` (by ${a.status.decidedBy})` : ''}; only pending approvals can be decided`);
    const user = await whoAmI(client);
    const status = {
      phase: verdict === 'approve' ? 'Approved' : 'Rejected',
      decidedBy: user,
      decidedAt: new Date().toISOString(),
      argumentsDigest: a.spec.argumentsDigest,
      ...(flags.reason ? { reason: flags.reason } : {}),
    };
    try {
      // The resourceVersion makes this a decision on what was just shown, not on a later state.
      await client.patch(APPROVALS, name, { metadata: { resourceVersion: a.metadata.resourceVersion }, status }, 'merge', { namespace, subresource: 'status' });
    } catch (err) {
      const e = err as { status?: number; message: string };
      if (e.status === 409) throw new CliError(`MCPApproval ${name} changed meanwhile; run show again`);
      throw new CliError(e.message.replace(/^.*admission webhook "[^"]+" denied the request: /su, ''));
    }
    io.stdout.write(`${verdict === 'approve' ? 'approved' : 'rejected'} mcpapproval/${name} (${a.spec.tool}, requested by ${a.spec.requester.sub}) as ${user}\n`);
    return 0;
  } finally {
    client.close();
  }
}

export const approvalsGroup: CommandGroup = {
  name: 'approvals',
  summary: 'Decide on tool calls held for approval (also: kubectl mcp-residency approvals ...)',
  commands: [list, show, decision('approve'), decision('deny')],
};

