// `mcp-residency inject -f`: manifests in, manifests out, each pod (or pod template) sent through
// admitPod, the webhook's own entry, and its patch applied. So the output is exactly what the
// webhook would make of the pod, refusals included (like istioctl kube-inject, linkerd inject).
import type { Pod } from '../../kube/core.ts';
import { admitPod, type NamespaceSource, type PolicySource } from '../admission/pods.ts';
import type { AdmissionRequest } from '../admission/review.ts';
import { applyPatch, type PatchOperation } from './patch.ts';
import type { InjectionSettings } from './settings.ts';

export class InjectError extends Error {}

export interface InjectContext {
  readonly settings: InjectionSettings;
  readonly policies: PolicySource;
  readonly namespaces: NamespaceSource;
  /** for objects that name none (kubectl's -n) */
  readonly namespace: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

function dig(o: Obj, path: readonly string[]): Obj | undefined {
  let cur: unknown = o;
  for (const key of path) cur = isObj(cur) ? cur[key] : undefined;
  return isObj(cur) ? cur : undefined;
}

function describe(o: Obj, where: string): string {
  const meta = isObj(o.metadata) ? o.metadata : {};
  return `${where} (${typeof o.kind === 'string' ? o.kind : 'object'}${typeof meta.name === 'string' ? ` ${meta.name}` : ''})`;
}

async function injectPodLike(pod: Pod, namespace: string, ctx: InjectContext, where: string, warnings: string[]): Promise<Pod> {
  const req: AdmissionRequest = {
    uid: 'mcp-residency-inject',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    namespace,
    object: pod,
  };
  const { response } = await admitPod(req, ctx.settings, ctx.policies, ctx.namespaces);
  if (!response.allowed) throw new InjectError(`${where}: the webhook would refuse it: ${response.status?.message ?? 'refused'}`);
  for (const w of response.warnings ?? []) warnings.push(`${where}: ${w}`);
  const ops = response.patch ? (JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as PatchOperation[]) : [];
  return applyPatch(pod, ops);
}

async function injectObject(o: Obj, where: string, ctx: InjectContext, warnings: string[]): Promise<Obj> {
  const meta = isObj(o.metadata) ? o.metadata : {};
  const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : ctx.namespace;
  if (o.kind === 'List' && Array.isArray(o.items)) {
    const items: unknown[] = [];
    for (const [i, item] of o.items.entries()) items.push(isObj(item) ? await injectObject(item, `${where} item ${i + 1}`, ctx, warnings) : item);
    return { ...o, items };
  }
  if (o.kind === 'Pod') {
    if (!isObj(o.spec) || !Array.isArray(o.spec.containers)) throw new InjectError(`${describe(o, where)}: a Pod needs spec.containers`);
    return (await injectPodLike(structuredClone(o) as unknown as Pod, namespace, ctx, describe(o, where), warnings)) as unknown as Obj;
  }
  const path = typeof o.kind === 'string' ? TEMPLATE_PATHS[o.kind] : undefined;
  if (path === undefined) return o;
  const out = structuredClone(o);
  const template = dig(out, path);
  if (!template || !isObj(template.spec) || !Array.isArray(template.spec.containers)) {
    throw new InjectError(`${describe(o, where)}: no pod template at ${path.join('.')} with containers`);
  }
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { ...(isObj(template.metadata) ? template.metadata : {}), namespace }, spec: template.spec } as unknown as Pod;
  const injected = await injectPodLike(pod, namespace, ctx, describe(o, where), warnings);
  // The template keeps its own metadata shape: no namespace added where it had none.
  const { namespace: _ns, ...metadata } = injected.metadata;
  template.metadata = isObj(template.metadata) && 'namespace' in template.metadata ? injected.metadata : metadata;
  template.spec = injected.spec;
  return out;
}

/** Injects every pod and pod template among the documents; other documents come back as they are. */
export async function injectDocuments(docs: readonly unknown[], ctx: InjectContext): Promise<{ docs: unknown[]; warnings: string[] }> {
  const warnings: string[] = [];
  const out: unknown[] = [];
  for (const [i, doc] of docs.entries()) out.push(isObj(doc) ? await injectObject(doc, `document ${i + 1}`, ctx, warnings) : doc);
  return { docs: out, warnings };
}
