// Runs the real helm (built with the test control plane) on charts/mcp-residency and parses what
// it renders, with just enough types for the chart tests to read the objects.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Container, PodSpec, PolicyRule, Subject } from '../../kube/core.ts';
import type { KubeObject, ObjectMeta } from '../../kube/types.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const chartDir = join(repoRoot, 'charts', 'mcp-residency');

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

let helmHome: Promise<string> | undefined;

/** helm with its cache, config and data dirs in a temp dir: nothing read from or written to $HOME */
export async function runHelm(helm: string, args: string[], env: Record<string, string> = {}): Promise<HelmResult> {
  helmHome ??= mkdtemp(join(tmpdir(), 'mcpr-helm-'));
  const home = await helmHome;
  return new Promise((resolve, reject) => {
    execFile(
      helm,
      args,
      {
        env: { PATH: process.env.PATH ?? '', HOME: home, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data'), ...env },
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(new Error(`${helm}: ${err.message}`));
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

/** Writes values to a temp file for `-f` (JSON is YAML). */
export async function valuesFile(values: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpr-values-'));
  const file = join(dir, 'values.yaml');
  await writeFile(file, JSON.stringify(values, null, 2));
  return file;
}

export type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface OperatorContainer extends Container {
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}

export interface Deployment extends KubeObject {
  spec: {
    replicas: number;
    selector: LabelSelector;
    strategy?: { type: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
    template: {
      metadata: ObjectMeta;
      spec: Omit<PodSpec, 'containers'> & {
        containers: OperatorContainer[];
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; seccompProfile?: { type: string } };
        affinity?: Record<string, unknown>;
        nodeSelector?: Labels;
        tolerations?: Record<string, unknown>[];
        priorityClassName?: string;
        imagePullSecrets?: { name: string }[];
      };
    };
  };
}

export interface Service extends KubeObject {
  spec: { selector: Labels; ports: { name: string; port: number; targetPort: number | string }[] };
}

export interface Webhook {
  name: string;
  clientConfig: { service?: { name: string; namespace: string; path?: string; port?: number }; url?: string; caBundle?: string };
  rules: { operations: string[]; apiGroups: string[]; apiVersions: string[]; resources: string[]; scope?: string }[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  matchConditions?: { name: string; expression: string }[];
  failurePolicy: string;
  sideEffects: string;
  admissionReviewVersions: string[];
  reinvocationPolicy?: string;
  timeoutSeconds: number;
  matchPolicy?: string;
}

export interface WebhookConfig extends KubeObject {
  webhooks: Webhook[];
}

export interface RoleLike extends KubeObject {
  rules: PolicyRule[];
}

export interface Binding extends KubeObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: Subject[];
}

export interface ServiceMonitor extends KubeObject {
  spec: { selector: LabelSelector; namespaceSelector?: { matchNames?: string[] }; endpoints: { port: string; path?: string; interval?: string }[] };
}

export interface Pdb extends KubeObject {
  spec: { maxUnavailable?: number | string; minAvailable?: number | string; selector: LabelSelector; unhealthyPodEvictionPolicy?: string };
}

export class Rendered {
  readonly objects: KubeObject[];
  readonly text: string;
  constructor(text: string) {
    this.text = text;
    this.objects = parseAllDocuments(text)
      .map((d) => {
        if (d.errors.length) throw new Error(`helm rendered invalid YAML: ${d.errors[0]!.message}`);
        return d.toJS() as KubeObject | null;
      })
      .filter((o): o is KubeObject => o !== null && typeof o === 'object');
  }

  all<T extends KubeObject = KubeObject>(kind: string): T[] {
    return this.objects.filter((o) => o.kind === kind) as T[];
  }

  /** the one object of this kind (and name, when given); throws when there is not exactly one */
  one<T extends KubeObject = KubeObject>(kind: string, name?: string): T {
    const found = this.all<T>(kind).filter((o) => name === undefined || o.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}: ${this.summary().join(', ')}`);
    return found[0]!;
  }

  /** "Kind/name" of every object, sorted */
  summary(): string[] {
    return this.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  }
}

export interface TemplateOptions {
  release?: string;
  namespace?: string;
  values?: object;
  args?: string[];
}

export async function helmTemplate(helm: string, o: TemplateOptions = {}): Promise<Rendered> {
  const args = ['template', o.release ?? 'mcp-residency', chartDir, '--namespace', o.namespace ?? 'mcp-residency'];
  if (o.values) args.push('-f', await valuesFile(o.values));
  const r = await runHelm(helm, [...args, ...(o.args ?? [])]);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}`);
  return new Rendered(r.stdout);
}

/** "--name=value" and "--name" arguments as a map (a bare flag maps to "") */
export function flagMap(args: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of args) {
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/su.exec(a);
    if (match) m.set(match[1]!, match[2] ?? '');
  }
  return m;
}

/** rules in a canonical order, with sorted lists, for comparing what they grant */
export function normalizeRules(rules: readonly PolicyRule[]): string[] {
  return rules
    .map((r) =>
      JSON.stringify({
        apiGroups: [...r.apiGroups].sort(),
        resources: [...r.resources].sort(),
        verbs: [...r.verbs].sort(),
        resourceNames: [...(r.resourceNames ?? [])].sort(),
      }),
    )
    .sort();
}
