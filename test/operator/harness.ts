// Runs the operator in-process against the test control plane, the way the chart will run it,
// with two differences a test needs: the API server is reached through a TcpProxy (so a test
// can break connections), and the webhook configurations point at https://127.0.0.1:<port>
// and only select namespaces carrying this harness's label (other suites share the API server).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseKubeconfig } from '../../kube/config.ts';
import type { WebhookConfiguration } from '../../kube/core.ts';
import type { OperatorOptions } from '../../operator/options.ts';
import { DEFAULT_TIMING } from '../../operator/tls/plan.ts';
import { startOperator, WEBHOOK_PATHS, type Operator } from '../../operator/run.ts';
import type { ControlPlane } from '../support/controlplane.ts';
import { memoryLogger } from '../support/log.ts';
import { eventually, settings } from './support.ts';
import { TcpProxy } from './tcp-proxy.ts';

export const TEST_LABEL = 'mcpresidency.io/test-webhooks';

export interface Harness {
  readonly operator: Operator;
  readonly options: OperatorOptions;
  readonly proxy: TcpProxy;
  /** the operator's namespace */
  readonly namespace: string;
  /** namespaces labelled with this value are served by this harness's webhooks */
  readonly selector: string;
  readonly mutating: string;
  readonly validating: string;
  readonly logs: string[];
  /** a fresh namespace the webhooks cover */
  coveredNamespace(prefix: string): Promise<string>;
  registerWebhooks(): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions extends Partial<OperatorOptions> {
  /** register webhook configurations (default true) */
  readonly register?: boolean;
  /** share another harness's operator namespace (leader election tests) */
  readonly sharedNamespace?: string;
  readonly requestTimeoutMs?: number;
  /** talk to the API server directly, not through the TcpProxy (benchmarks) */
  readonly direct?: boolean;
  /** authenticate with this bearer token instead of the admin certificate */
  readonly token?: string;
  /** the operator namespace already exists (created by the test) */
  readonly namespace?: string;
}

export function webhookConfigs(name: string, selector: string, port: number): { mutating: object; validating: object } {
  const base = `https://127.0.0.1:${port}`;
  const namespaceSelector = { matchLabels: { [TEST_LABEL]: selector } };
  return {
    mutating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name },
      webhooks: [
        {
          name: 'pods.mcpresidency.io',
          clientConfig: { url: `${base}${WEBHOOK_PATHS.pods}` },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
          namespaceSelector,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          reinvocationPolicy: 'IfNeeded',
          timeoutSeconds: 5,
        },
      ],
    },
    validating: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name },
      webhooks: [
        {
          name: 'policies.mcpresidency.io',
          clientConfig: { url: `${base}${WEBHOOK_PATHS.policies}` },
          rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['mcpresidency.io'], apiVersions: ['v1alpha1'], resources: ['mcpresidencypolicies'], scope: 'Namespaced' }],
          namespaceSelector,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          timeoutSeconds: 5,
        },
        {
          name: 'approvals.mcpresidency.io',
          clientConfig: { url: `${base}${WEBHOOK_PATHS.approvals}` },
          rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['mcpresidency.io'], apiVersions: ['v1alpha1'], resources: ['mcpapprovals', 'mcpapprovals/status'], scope: 'Namespaced' }],
          namespaceSelector,
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          timeoutSeconds: 5,
        },
      ],
    },
  };
}

export async function startHarness(cp: ControlPlane, ho: HarnessOptions = {}): Promise<Harness> {
  const id = randomBytes(3).toString('hex');
  const proxy = await TcpProxy.start(cp.server);
  const kc = parseKubeconfig(readFileSync(cp.kubeconfigPath, 'utf8'), dirname(cp.kubeconfigPath));
  const namespace = ho.sharedNamespace ?? ho.namespace ?? `mcpr-op-${id}`;
  if (!ho.sharedNamespace && !ho.namespace) await cp.createNamespace(namespace);
  const name = ho.mutatingWebhookConfigs?.[0] ?? `mcpr-${id}`;
  const options: OperatorOptions = {
    namespace,
    identity: `op-${id}`,
    sidecar: settings.sidecar,
    excludeNamespaces: [],
    webhookListen: { host: '127.0.0.1', port: 0 },
    adminListen: { host: '127.0.0.1', port: 0 },
    leaderElect: false,
    leaseName: 'mcp-residency-operator',
    mutatingWebhookConfigs: [name],
    validatingWebhookConfigs: [name],
    tlsSecret: 'mcp-residency-webhook-tls',
    webhookService: 'mcp-residency-webhook',
    webhookHosts: ['127.0.0.1'],
    tlsTiming: DEFAULT_TIMING,
    sidecarRbacName: 'mcp-residency-sidecar',
    resyncMs: 60_000,
    watchIdleTimeoutMs: 60_000,
    logLevel: 'info',
    approverUsernamePrefix: '',
    ...Object.fromEntries(Object.entries(ho).filter(([k]) => !['register', 'sharedNamespace', 'requestTimeoutMs', 'direct', 'token'].includes(k))),
  };
  const verbose = process.env.MCP_RESIDENCY_TEST_LOG;
  const { logger, lines: logs } = memoryLogger({ level: verbose === 'debug' ? 'debug' : 'info', format: 'text', fields: { op: options.identity } }, verbose ? process.stderr : undefined);
  const auth = ho.token === undefined ? {} : { cert: undefined, key: undefined, token: () => ho.token };
  const operator = await startOperator(options, { connection: { ...kc, ...auth, server: ho.direct ? kc.server : proxy.url }, logger, requestTimeoutMs: ho.requestTimeoutMs ?? 5000 });
  const selector = id;
  const withLogs = (err: unknown): never => {
    throw new Error(`${(err as Error).message}\n${logs.join('')}`);
  };
  const h: Harness = {
    operator,
    options,
    proxy,
    namespace,
    selector,
    mutating: name,
    validating: name,
    logs,
    async coveredNamespace(prefix) {
      const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
      await cp.createNamespace(ns, { [TEST_LABEL]: selector });
      return ns;
    },
    async registerWebhooks() {
      const deadline = Date.now() + 20_000;
      const port = await eventually('the webhook server to start', () => operator.webhookPort(), 20_000).catch(withLogs);
      const { mutating, validating } = webhookConfigs(name, selector, port);
      for (const [path, body] of [
        ['/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', mutating],
        ['/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', validating],
      ] as const) {
        const r = await cp.api('POST', path, body);
        if (r.status !== 201) throw new Error(`registering ${path}: HTTP ${r.status} ${r.text}`);
      }
      // Ready only counts configurations the operator has seen; wait for it to patch these.
      for (const kind of ['mutating', 'validating'] as const) {
        const patched = async () => ((await getWebhookConfig(cp, kind, name)).webhooks?.every((w) => w.clientConfig.caBundle) ? true : undefined);
        await eventually(`the operator to patch the caBundle of ${kind} ${name}`, patched, deadline - Date.now()).catch(withLogs);
      }
    },
    async stop() {
      await cp.api('DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`);
      await cp.api('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`);
      await operator.stop();
      await proxy.close();
    },
  };
  if (ho.register ?? true) {
    await h.registerWebhooks();
    await operator.whenReady(30_000).catch(withLogs);
  }
  return h;
}

export async function getWebhookConfig(cp: ControlPlane, kind: 'mutating' | 'validating', name: string): Promise<WebhookConfiguration> {
  const r = await cp.api('GET', `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${name}`);
  if (r.status !== 200) throw new Error(`GET ${kind} ${name}: HTTP ${r.status}`);
  return r.body as WebhookConfiguration;
}
