// `mcp-residency inject -f FILE`: prints manifests as the webhook would inject them.
import { readFile } from 'node:fs/promises';
import { CliError, defineCommand } from '../command.ts';
import { injectionFlags, injectionSettingsFrom } from './injection-flags.ts';

async function readInput(file: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export const injectCommand = defineCommand({
  name: 'inject',
  summary: 'print manifests with the sidecar injected, exactly as the webhook would (GitOps, debugging)',
  description: `
Reads Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and Lists (one or
more YAML documents; -f - reads stdin) and prints them with each pod template injected, through
the webhook's own code. Other documents pass through unchanged. The policy a pod names
(mcpresidency.io/policy) is looked up among the MCPResidencyPolicy documents of the input and of
--policy; a Namespace document in the input gives its PodSecurity labels. A pod the webhook would
refuse is an error naming the document and the reason.`,
  flags: {
    filename: { type: 'string', short: 'f', value: 'FILE', required: true, help: 'the manifests (- for stdin)' },
    policy: { type: 'string', value: 'FILE', multiple: true, help: 'YAML holding the MCPResidencyPolicy the pods name (repeatable)' },
    namespace: { type: 'string', short: 'n', value: 'NS', default: 'default', help: 'namespace of objects that name none' },
    ...injectionFlags,
  },
  examples: ['mcp-residency inject -f deploy.yaml --policy policy.yaml | kubectl apply -f -', 'kubectl get deploy crm -o yaml | mcp-residency inject -f - --policy policy.yaml'],
  async run({ flags, io }) {
    const { parseAllDocuments, stringify } = await import('yaml');
    const { OptionsError } = await import('../../operator/options.ts');
    const { checkPolicy } = await import('../../operator/policies/check.ts');
    const { injectDocuments, InjectError } = await import('../../operator/inject/manifests.ts');
    const { SYSTEM_NAMESPACES } = await import('../../operator/inject/constants.ts');
    let settings;
    try {
      settings = injectionSettingsFrom(flags);
    } catch (err) {
      if (err instanceof OptionsError) throw new CliError(err.message, 2);
      throw err;
    }
    const parse = (text: string, file: string): unknown[] =>
      parseAllDocuments(text).map((d, i) => {
        if (d.errors.length > 0) throw new CliError(`${file}: document ${i + 1}: ${d.errors[0]!.message}`);
        return d.toJS() as unknown;
      });
    const docs = parse(await readInput(flags.filename, io.stdin), flags.filename === '-' ? '<stdin>' : flags.filename);
    const policyDocs = [...docs];
    for (const file of flags.policy) policyDocs.push(...parse(await readInput(file, io.stdin), file));

    type Meta = { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown; labels?: Record<string, string> } };
    const policies = policyDocs.filter((d): d is Meta => (d as Meta | null)?.kind === 'MCPResidencyPolicy');
    const namespaceDocs = docs.filter((d): d is Meta => (d as Meta | null)?.kind === 'Namespace');
    const result = await injectDocuments(docs, {
      settings: { sidecar: settings.sidecar, capture: settings.capture, excludedNamespaces: new Set(SYSTEM_NAMESPACES) },
      namespace: flags.namespace,
      policies: {
        lookup: (namespace, name) => {
          const found = policies.find((p) => p.metadata?.name === name && (p.metadata.namespace === undefined || p.metadata.namespace === namespace));
          if (found === undefined) return Promise.resolve({ state: 'missing' as const });
          const check = checkPolicy(found);
          return Promise.resolve(check.ok ? { state: 'valid' as const, policy: check.policy } : { state: 'invalid' as const, message: check.message });
        },
      },
      namespaces: { labels: (ns) => Promise.resolve(namespaceDocs.find((d) => d.metadata?.name === ns)?.metadata?.labels) },
    }).catch((err: unknown) => {
      if (!(err instanceof InjectError)) throw err;
      const hint = policies.length === 0 ? ' (no MCPResidencyPolicy given: pass --policy FILE)' : '';
      throw new CliError(`${err.message}${hint}`);
    });
    for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
    io.stdout.write(result.docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'));
    return 0;
  },
});
