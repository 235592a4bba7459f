// The operator process: caches, controllers, the webhook server, TLS and leader election,
// wired together. Everything here is I/O plumbing; the decisions live in inject/, tls/plan.ts,
// reconcile/status.ts and reconcile/rbac.ts.
import type { Logger } from '../lib/log.ts';
import type { Connection } from '../kube/config.ts';
import { isNotFound, KubeClient } from '../kube/client.ts';
import type { Pod, Role, RoleBinding } from '../kube/core.ts';
import { Informer, type RestartReason } from '../kube/informer.ts';
import { LeaderElector } from '../kube/leader.ts';
import { APPROVALS, MUTATING_WEBHOOKS, NAMESPACES, PODS, POLICIES, ROLE_BINDINGS, ROLES, VALIDATING_WEBHOOKS } from '../kube/resources.ts';
import type { KubeObject } from '../kube/types.ts';
import type { ApprovalObject, PolicyObject } from '../policy/types.ts';
import { Readiness } from '../sidecar/admin/readiness.ts';
import { startAdminServer, type AdminServer } from './admin.ts';
import { admitApproval, type ApprovalAdmissionContext } from './admission/approvals.ts';
import { admitPod, type NamespaceSource } from './admission/pods.ts';
import { admitPolicy } from './admission/policies.ts';
import { WebhookServer } from './admission/server.ts';
import { EventRecorder } from './events.ts';
import { SYSTEM_NAMESPACES } from './inject/constants.ts';
import type { InjectionSettings } from './inject/settings.ts';
import { createOperatorMetrics, type OperatorMetrics } from './metrics.ts';
import type { OperatorOptions } from './options.ts';
import { summarizePod, type PodSummary } from './reconcile/pods.ts';
import { ApprovalController } from './reconcile/approval-controller.ts';
import { PolicyController } from './reconcile/policy-controller.ts';
import { RbacController } from './reconcile/rbac-controller.ts';
import { MANAGED_BY_LABEL, MANAGED_BY } from './reconcile/rbac.ts';
import { TlsManager } from './tls/manager.ts';

export const WEBHOOK_PATHS = { pods: '/mutate/pods', policies: '/validate/mcpresidencypolicies', approvals: '/validate/mcpapprovals' } as const;

export interface Operator {
  readonly client: KubeClient;
  readonly metrics: OperatorMetrics;
  readonly readiness: Readiness;
  readonly policyController: PolicyController;
  readonly tls: TlsManager;
  webhookPort(): number | undefined;
  adminPort(): number;
  isLeader(): boolean;
  /** resolves when no reconcile work is queued or running (benchmarks, tests) */
  idle(): Promise<void>;
  /** resolves once /readyz would say ready */
  whenReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface OperatorDeps {
  readonly connection: Connection;
  readonly logger: Logger;
  /** request timeout for API calls (tests shorten it) */
  readonly requestTimeoutMs?: number;
}

/** The serving certificate's names: the webhook Service's, in every form the API server may use. */
export function servingNames(o: Pick<OperatorOptions, 'webhookService' | 'namespace' | 'webhookHosts'>): string[] {
  const s = o.webhookService;
  const ns = o.namespace;
  return [...new Set([s, `${s}.${ns}`, `${s}.${ns}.svc`, `${s}.${ns}.svc.cluster.local`, ...o.webhookHosts])];
}

export async function startOperator(o: OperatorOptions, deps: OperatorDeps): Promise<Operator> {
  const log = deps.logger;
  const client = new KubeClient(deps.connection, { userAgent: `mcp-residency-operator/${o.sidecar.version}`, timeoutMs: deps.requestTimeoutMs ?? 15_000 });
  const metrics = createOperatorMetrics();
  const readiness = new Readiness();
  const excluded = new Set([...SYSTEM_NAMESPACES, o.namespace, ...o.excludeNamespaces]);
  const injection: InjectionSettings = { sidecar: o.sidecar, excludedNamespaces: excluded, ...(o.capture ? { capture: o.capture } : {}) };
  const namespaceLabels: NamespaceSource = {
    labels: async (ns) => {
      try {
        return (await client.get<KubeObject>(NAMESPACES, ns, undefined, AbortSignal.timeout(3000))).metadata.labels;
      } catch (err) {
        // Unknown level: inject; the API server's own PodSecurity admission still decides.
        log.warn('cannot read the namespace for its PodSecurity level', { namespace: ns, error: (err as Error).message });
        return undefined;
      }
    },
  };
  const informerTiming = { resyncMs: o.resyncMs, idleTimeoutMs: o.watchIdleTimeoutMs };
  const restarts = (resource: string) => (reason: RestartReason) => metrics.watchRestarts.inc({ resource, reason });

  const policies = new Informer<PolicyObject>(client, { resource: POLICIES, logger: log, onRestart: restarts('mcpresidencypolicies'), ...informerTiming });
  const pods = new Informer<PodSummary>(client, { resource: PODS, transform: summarizePod, logger: log, onRestart: restarts('pods'), ...informerTiming });
  const managed = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
  const roles = new Informer<Role>(client, { resource: ROLES, labelSelector: managed, logger: log, onRestart: restarts('roles'), ...informerTiming });
  const bindings = new Informer<RoleBinding>(client, { resource: ROLE_BINDINGS, labelSelector: managed, logger: log, onRestart: restarts('rolebindings'), ...informerTiming });
  const events = new EventRecorder(client, o.identity, log);

  const approvals = new Informer<ApprovalObject>(client, { resource: APPROVALS, logger: log, onRestart: restarts('mcpapprovals'), ...informerTiming });
  const approvalController = new ApprovalController({ client, approvals, pods, logger: log.child({ controller: 'approvals' }) });
  const approvalContext: ApprovalAdmissionContext = {
    lookupPolicy: (ns, name) => policyController.lookup(ns, name),
    podServiceAccount: async (ns, name) => {
      const cached = pods.get(`${ns}/${name}`);
      if (cached) return cached.serviceAccount;
      try {
        const pod = await client.get<Pod>(PODS, name, ns, AbortSignal.timeout(3000));
        return pod.spec.serviceAccountName || 'default';
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    operatorUser: await whoAmI(client, log),
    usernamePrefix: o.approverUsernamePrefix,
    now: Date.now,
  };
  const policyController = new PolicyController({ client, policies, pods, approvals, events, metrics, logger: log.child({ controller: 'policy-status' }), excludedNamespaces: excluded });
  const rbacController = new RbacController({ client, pods, roles, bindings, name: o.sidecarRbacName, excludedNamespaces: excluded, metrics, logger: log.child({ controller: 'sidecar-rbac' }) });

  const webhook = new WebhookServer({
    host: o.webhookListen.host,
    port: o.webhookListen.port,
    logger: log,
    observe: (path, seconds) => metrics.admissionDuration.observe({ webhook: path === WEBHOOK_PATHS.pods ? 'pods' : path === WEBHOOK_PATHS.approvals ? 'approvals' : 'policies' }, seconds),
    routes: {
      [WEBHOOK_PATHS.pods]: async (req) => {
        const r = await admitPod(req, injection, policyController, namespaceLabels);
        metrics.admissions.inc({ webhook: 'pods', outcome: r.outcome });
        if (r.outcome === 'refused' || r.outcome === 'error') log.info('refused a pod', { namespace: req.namespace, reason: r.response.status?.message });
        else if (r.outcome === 'injected') log.debug('injected the sidecar', { namespace: req.namespace, policy: r.policy });
        return r.response;
      },
      [WEBHOOK_PATHS.policies]: (req) => {
        const r = admitPolicy(req);
        metrics.admissions.inc({ webhook: 'policies', outcome: r.outcome });
        return Promise.resolve(r.response);
      },
      [WEBHOOK_PATHS.approvals]: async (req) => {
        const r = await admitApproval(req, approvalContext);
        metrics.admissions.inc({ webhook: 'approvals', outcome: r.outcome });
        if (r.outcome === 'denied') log.info('refused an approval change', { namespace: req.namespace, name: req.name, user: req.userInfo?.username, reason: r.response.status?.message });
        return r.response;
      },
    },
  });

  const tls = new TlsManager({
    client,
    namespace: o.namespace,
    secretName: o.tlsSecret,
    names: servingNames(o),
    timing: o.tlsTiming,
    configs: [
      ...o.mutatingWebhookConfigs.map((name) => ({ resource: MUTATING_WEBHOOKS, name })),
      ...o.validatingWebhookConfigs.map((name) => ({ resource: VALIDATING_WEBHOOKS, name })),
    ],
    checkIntervalMs: 60_000,
    labels: { 'app.kubernetes.io/name': 'mcp-residency', 'app.kubernetes.io/component': 'webhook-tls', [MANAGED_BY_LABEL]: MANAGED_BY },
    logger: log.child({ controller: 'tls' }),
    metrics,
    informer: { resyncMs: Math.min(o.resyncMs, 60_000), idleTimeoutMs: o.watchIdleTimeoutMs },
    onServing: (cert) => {
      webhook.useCertificate(cert).catch((err: unknown) => log.error('the webhook server cannot start', { error: err, address: `${o.webhookListen.host}:${o.webhookListen.port}` }));
    },
  });

  readiness.register('caches', () =>
    policies.synced && pods.synced ? { ok: true } : { ok: false, reason: 'listing MCPResidencyPolicies and pods' },
  );
  readiness.register('tls', () => tls.readiness());
  readiness.register('webhook', () => (webhook.listening ? { ok: true } : { ok: false, reason: 'the webhook server is not listening yet' }));

  let admin: AdminServer;
  try {
    admin = await startAdminServer(o.adminListen.host, o.adminListen.port, readiness, metrics.registry);
  } catch (err) {
    client.close();
    throw new Error(`cannot listen on ${o.adminListen.host}:${o.adminListen.port} (--admin-listen): ${(err as Error).message}`, { cause: err });
  }

  const lead = (leading: boolean): void => {
    metrics.leader.set(leading ? 1 : 0);
    policyController.setLeading(leading);
    rbacController.setLeading(leading);
    approvalController.setLeading(leading);
    tls.setLeading(leading);
  };
  let elector: LeaderElector | undefined;
  if (o.leaderElect) {
    elector = new LeaderElector(client, {
      namespace: o.namespace,
      name: o.leaseName,
      identity: o.identity,
      logger: log,
      onStartedLeading: (signal) => {
        lead(true);
        signal.addEventListener('abort', () => lead(false), { once: true });
      },
    });
  }

  for (const inf of [policies, pods, roles, bindings, approvals]) inf.start();
  tls.start();
  if (elector) elector.start();
  else lead(true);
  log.info('operator started', { namespace: o.namespace, identity: o.identity, leaderElection: o.leaderElect, image: o.sidecar.image });

  let stopped = false;
  return {
    client,
    metrics,
    readiness,
    policyController,
    tls,
    webhookPort: () => webhook.port(),
    adminPort: () => admin.port(),
    isLeader: () => (elector ? elector.isLeader : !stopped),
    async idle() {
      await Promise.all([policyController.idle(), rbacController.idle(), tls.idle()]);
    },
    async whenReady(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = readiness.report();
        if (r.ready) return;
        if (Date.now() > deadline) throw new Error(`operator not ready after ${timeoutMs} ms: ${JSON.stringify(r.checks)}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (elector) await elector.stop();
      lead(false);
      policyController.stop();
      rbacController.stop();
      approvalController.stop();
      await Promise.all([tls.stop(), ...[policies, pods, roles, bindings, approvals].map((i) => i.stop()), webhook.close(), admin.close()]);
      client.close();
      log.info('operator stopped');
    },
  };
}

/** The operator's own user name, so its approval webhook lets it expire and abandon approvals. */
async function whoAmI(client: KubeClient, log: Logger): Promise<string | undefined> {
  try {
    const review = await client.request<{ status?: { userInfo?: { username?: string } } }>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return review.status?.userInfo?.username;
  } catch (err) {
    log.warn('cannot learn the operator\'s own user name; only sidecars will settle approvals', { error: err });
    return undefined;
  }
}
