// Assembles the sidecar: the policy (from a file or, in a cluster, the API), the audit log,
// the inbound MCP gateway (15080), the egress gateway (15081), the transparent egress
// listener for captured traffic (15082) and the admin port (15090).
// Start order matters: the listeners come up at once so probes can see *why* the sidecar is
// not ready, while every request is refused until a policy and the audit log are in place.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import http from '../lib/node-http.ts';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../lib/listen.ts';
import type { Logger } from '../lib/log.ts';
import { createAdminServer, type AdminRoute } from './admin/server.ts';
import { EgressGateway, type EgressOptions } from './egress/gateway.ts';
import { approvalRoutes } from './approvals/admin-routes.ts';
import type { ApprovalHook } from './approvals/hook.ts';
import type { KubeApprovals } from './approvals/kube.ts';
import { LocalApprovals } from './approvals/local.ts';
import { Notifier, noticeOf, type NotifierOptions } from './approvals/notify.ts';
import type { ApprovalEvent } from './approvals/records.ts';
import { hostname } from 'node:os';
import type { Durability } from './audit/log.ts';
import { AuditSinkHolder } from './audit/sink.ts';
import { Readiness } from './admin/readiness.ts';
import { Gateway } from './inbound/gateway.ts';
import type { GatewayLimits } from './inbound/scope.ts';
import { Upstream } from './inbound/upstream.ts';
import { createMetrics, type SidecarMetrics } from './admin/metrics.ts';
import type { KubeClient } from '../kube/client.ts';
import type { loadConnection } from '../kube/config.ts';
import { FilePolicySource } from './policy/file-source.ts';
import type { KubePolicySource, PolicyRef } from './policy/kube-source.ts';
import { PolicyHolder } from './policy/holder.ts';
import { pinRoutes } from './pinning/admin-routes.ts';
import { FilePinStore } from './pinning/file-store.ts';
import { ToolPinning } from './pinning/guard.ts';
import type { KubePinStore } from './pinning/kube-store.ts';
import { join } from 'node:path';
import { Shipping, type ShippingOptions } from './audit/shipping.ts';
import { reportUnshipped } from './audit/unshipped.ts';

/** Kubernetes' default terminationGracePeriodSeconds is 30; leave room for the app and the Event. */
export const DEFAULT_SHUTDOWN_DRAIN_MS = 20_000;
import { CaptureMonitor, type ProbeTarget } from './capture/probe.ts';
import { startTransparentListener, type TransparentListener } from './capture/transparent.ts';

export type { ListenAddress };

export interface SidecarConfig {
  /** A policy YAML file (standalone). */
  readonly policyFile?: string | undefined;
  /** An MCPResidencyPolicy to watch through the Kubernetes API (what the injector sets). */
  readonly policyRef?: PolicyRef | undefined;
  /** For policyRef: a kubeconfig; in-cluster configuration when omitted. */
  readonly kubeconfig?: string | undefined;
  /** The pod this sidecar serves (default: $POD_NAME, then the host name, which is the pod's). */
  readonly podName?: string | undefined;
  readonly upstream: URL;
  readonly listen: ListenAddress;
  readonly egressListen: ListenAddress;
  readonly adminListen: ListenAddress;
  /** The transparent egress listener for captured traffic; none when omitted. */
  readonly transparentListen?: ListenAddress | undefined;
  /**
   * Capture is expected (the injector sets it with the capture init container): /readyz fails
   * until the probe proves the pod's traffic is redirected. Needs transparentListen.
   */
  readonly capture?: boolean | { readonly probeTarget?: ProbeTarget; readonly intervalMs?: number };
  readonly auditDir: string;
  readonly secretsDir?: string | undefined;
  /** Standalone: approved tool definitions (default <auditDir>/tool-pins.json). */
  readonly pinsFile?: string | undefined;
  readonly auditDurability?: Durability;
  readonly limits?: Partial<GatewayLimits>;
  /** Identical refusals within this window share one audit record (default 60 s). */
  readonly refusalWindowMs?: number;
  /** How often a policy file is checked for changes. */
  readonly policyPollMs?: number;
  /** Least time between JWKS refetches caused by unknown key ids (default 30 s). */
  readonly unknownKidCooldownMs?: number;
  /** How long requests still in flight at shutdown may take to finish (default 2 s). */
  readonly shutdownGraceMs?: number;
  /** How long a stopping sidecar keeps shipping its audit backlog (the injector derives it from terminationGracePeriodSeconds). */
  readonly shutdownDrainMs?: number;
  /** Policy watch tuning: how long a silent watch lasts before it is restarted, and retry backoff. */
  readonly watch?: { readonly idleTimeoutMs?: number; readonly backoffMaxMs?: number };
}

export interface SidecarDeps {
  readonly logger: Logger;
  readonly approvals?: ApprovalHook;
  /** For tests: how the sidecar fetches OIDC metadata and keys. */
  readonly fetch?: typeof fetch;
  readonly adminRoutes?: AdminRoute[];
  /** For tests: how the egress gateway resolves provider host names. */
  readonly resolver?: EgressOptions['resolver'];
  /** PEM CA certificates the egress gateway trusts for every upstream, besides the system's. */
  readonly extraCa?: string;
  /** For tests: faster notification retries. */
  readonly notify?: Pick<NotifierOptions, 'attempts' | 'backoff' | 'timeoutMs'>;
  /** For tests: a local Azure Monitor ingestion endpoint, and faster shipping retries. */
  readonly shipping?: Pick<ShippingOptions, 'exporterOptions' | 'tuning'>;
  /** Told when a request arrives and when its answer ends (the process's idle memory reclaim listens). */
  readonly onActivity?: () => void;
}

export interface RunningSidecar {
  readonly urls: { readonly mcp: string; readonly egress: string; readonly admin: string; readonly transparent?: string };
  readonly policy: PolicyHolder;
  readonly audit: AuditSinkHolder;
  readonly metrics: SidecarMetrics;
  readonly readiness: Readiness;
  close(): Promise<void>;
}

export async function startSidecar(config: SidecarConfig, deps: SidecarDeps): Promise<RunningSidecar> {
  const { logger } = deps;
  const metrics = createMetrics();
  const readiness = new Readiness();
  const policy = new PolicyHolder({
    secretsDir: config.secretsDir,
    logger,
    metrics,
    readiness,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(config.unknownKidCooldownMs !== undefined ? { unknownKidCooldownMs: config.unknownKidCooldownMs } : {}),
  });
  const audit = new AuditSinkHolder();
  readiness.register('audit', () => audit.health());
  const shipping = new Shipping({ secretsDir: config.secretsDir, metrics, logger, ...deps.shipping });
  readiness.register('shipping', () => shipping.health());
  policy.onChange((state) => void shipping.update(audit.log, state));
  audit.whenOpen((log) => void shipping.update(log, policy.state()));

  // Held calls: in a cluster, MCPApproval objects (decided with kubectl, checked by the
  // operator's admission webhook); standalone, in memory, decided through the admin port.
  // The Kubernetes client, watch and approvals load only for a sidecar that watches its policy
  // through the API: a standalone sidecar never pays for them.
  const cluster = config.policyRef !== undefined ? await loadClusterParts() : undefined;
  const kube = cluster ? new cluster.KubeClient(cluster.loadConnection(config.kubeconfig)) : undefined;
  const approvalLogger = logger.child({ component: 'approvals' });
  const podName = config.podName ?? process.env.POD_NAME ?? hostname();
  const notifier = new Notifier({ secretsDir: config.secretsDir, logger: approvalLogger, metrics, ...deps.notify });
  const onEvent = (e: ApprovalEvent): void => {
    if (e.question.notify?.length) notifier.notify(e.question.notify, noticeOf(e, kube ? podName : undefined));
  };
  const local = kube === undefined && deps.approvals === undefined ? new LocalApprovals({ audit, logger: approvalLogger, onEvent }) : undefined;
  const clustered: KubeApprovals | undefined =
    cluster && kube !== undefined && config.policyRef !== undefined && deps.approvals === undefined
      ? new cluster.KubeApprovals({ client: kube, namespace: config.policyRef.namespace, pod: podName, audit, logger: approvalLogger, onEvent })
      : undefined;
  const approvals: ApprovalHook = deps.approvals ?? local ?? clustered!;

  // Tool pins (rug-pull defence): in a cluster, MCPApprovals of kind tool shared by the
  // policy's pods; standalone, a file that survives restarts, decided through the admin port.
  let adminUrl = '';
  const pinLogger = logger.child({ component: 'pinning' });
  const pinFile = kube === undefined ? new FilePinStore(config.pinsFile ?? join(config.auditDir, 'tool-pins.json'), () => adminUrl) : undefined;
  const pinKube =
    cluster && kube !== undefined && config.policyRef !== undefined
      ? new cluster.KubePinStore({ client: kube, namespace: config.policyRef.namespace, policy: config.policyRef.name, pod: config.podName ?? process.env.POD_NAME ?? hostname(), logger: pinLogger, audit })
      : undefined;
  await pinFile?.load();
  if (pinKube) readiness.register('tool-pins', () => (pinKube.synced ? { ok: true } : { ok: false, reason: 'listing the approved tool pins (MCPApprovals of kind tool)' }));
  const upstream = new Upstream({ origin: config.upstream });
  const pinning = new ToolPinning({ store: (pinFile ?? pinKube)!, audit, registry: metrics.registry, logger: pinLogger, upstream });

  const gateway = new Gateway({
    upstream,
    policy: policy.state,
    audit,
    metrics,
    logger: logger.child({ component: 'inbound' }),
    approvals,
    pinning,
    ...(config.limits ? { limits: config.limits } : {}),
    ...(config.refusalWindowMs !== undefined ? { refusals: { windowMs: config.refusalWindowMs } } : {}),
  });

  const l = gateway.limits;
  const inbound = http.createServer(
    {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      maxHeaderSize: l.maxHeaderBytes,
      // Node checks those timeouts only this often (30 s by default), which would let a
      // slow-header client hold a connection three times longer than headersTimeout says.
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(l.headersTimeoutMs / 2))),
    },
    gateway.handle,
  );
  const egress = new EgressGateway({
    policy: policy.state,
    audit,
    metrics,
    logger: logger.child({ component: 'egress' }),
    secretsDir: config.secretsDir,
    ...(deps.resolver ? { resolver: deps.resolver } : {}),
    ...(deps.extraCa ? { extraCa: deps.extraCa } : {}),
  });
  const outbound = http.createServer({ headersTimeout: l.headersTimeoutMs, requestTimeout: 0, keepAliveTimeout: l.keepAliveTimeoutMs }, egress.handleRequest);
  outbound.on('connect', egress.handleConnect);
  const admin = createAdminServer(readiness, metrics, [
    ...(deps.adminRoutes ?? []),
    ...(local ? [approvalRoutes(local, policy.state)] : []),
    ...(pinFile ? [pinRoutes(pinFile, policy.state, audit)] : []),
  ]);
  const servers: Server[] = [];
  const listen = async (server: Server, at: ListenAddress, name: string): Promise<string> => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${at.host}:${at.port} (${name}): ${err.code ?? err.message}`)));
      server.listen(at.port, at.host, resolve);
    });
    servers.push(server);
    return addressUrl(server.address() as AddressInfo, 'http');
  };

  await audit.open({ dir: config.auditDir, metrics, logger: logger.child({ component: 'audit' }), ...(config.auditDurability ? { durability: config.auditDurability } : {}) }, logger);
  adminUrl = await listen(admin, config.adminListen, 'admin');
  notifier.adminUrl = adminUrl;
  const mcpUrl = await listen(inbound, config.listen, 'MCP gateway');
  const egressUrl = await listen(outbound, config.egressListen, 'egress gateway');
  let transparent: TransparentListener | undefined;
  let capture: CaptureMonitor | undefined;
  if (config.transparentListen !== undefined) {
    transparent = await startTransparentListener({
      listen: config.transparentListen,
      policy: policy.state,
      audit,
      metrics,
      logger: logger.child({ component: 'capture' }),
      gatewayOrigin: egressUrl,
      ...(deps.resolver ? { resolver: deps.resolver } : {}),
    });
  }
  if (config.capture !== undefined && config.capture !== false) {
    if (transparent === undefined) throw new Error('capture is expected but no transparent egress listener is configured (--transparent-listen)');
    const tuning = config.capture === true ? {} : config.capture;
    capture = new CaptureMonitor({
      listener: transparent,
      logger: logger.child({ component: 'capture' }),
      onResult: (inPlace) => metrics.captureInPlace.set(inPlace ? 1 : 0),
      ...(tuning.probeTarget ? { target: tuning.probeTarget } : {}),
      ...(tuning.intervalMs !== undefined ? { intervalMs: tuning.intervalMs } : {}),
    });
    const monitor = capture;
    readiness.register('capture', () => monitor.health());
    await monitor.start();
  }
  const transparentUrl = transparent === undefined ? undefined : addressUrl(transparent.address(), 'tcp');

  let source: FilePolicySource | undefined;
  let kubeSource: KubePolicySource | undefined;
  if (cluster && kube !== undefined && config.policyRef !== undefined) {
    kubeSource = new cluster.KubePolicySource({
      client: kube,
      ref: config.policyRef,
      logger,
      onUpdate: (u) => policy.apply(u),
      onStale: (reason) => policy.markStale(reason),
      ...config.watch,
    });
    pinKube?.start();
    await kubeSource.start();
    // Calls this pod held before a restart lost their clients: mark their approvals abandoned.
    await clustered?.abandonLeftovers().catch((err: unknown) => logger.warn('cannot clean up approvals left by a previous run', { error: err }));
  } else if (config.policyFile !== undefined) {
    source = new FilePolicySource(config.policyFile, config.policyPollMs !== undefined ? { pollMs: config.policyPollMs } : {});
    await source.start((u) => policy.apply(u));
  } else {
    await policy.apply({ ok: false, reason: 'no policy configured (--policy or --policy-ref)' });
  }
  logger.info('sidecar started', { mcp: mcpUrl, egress: egressUrl, transparent: transparentUrl, capture: capture !== undefined, admin: adminUrl, upstream: config.upstream.origin, auditDir: config.auditDir });

  // Requests still being answered at shutdown get a grace period to finish (a held call's
  // refusal, a tool result on its way) before connections are cut.
  const inflight = new Set<ServerResponse>();
  const activity = deps.onActivity;
  for (const server of [inbound, outbound]) {
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      inflight.add(res);
      activity?.();
      res.once('close', () => {
        inflight.delete(res);
        activity?.();
      });
    });
  }

  return {
    urls: { mcp: mcpUrl, egress: egressUrl, admin: adminUrl, ...(transparentUrl !== undefined ? { transparent: transparentUrl } : {}) },
    policy,
    audit,
    metrics,
    readiness,
    async close() {
      source?.stop();
      for (const s of servers) {
        s.close();
        s.closeIdleConnections();
      }
      local?.abandonAll('the sidecar is shutting down; the call was not run');
      await clustered?.stop();
      await pinKube?.stop();
      // The last follow-ups (abandoned calls) get one try each; retries stop now.
      notifier.close();
      await kubeSource?.stop();
      const deadline = Date.now() + (config.shutdownGraceMs ?? 2_000);
      while (inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await gateway.close();
      egress.close();
      capture?.stop();
      await transparent?.close();
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      upstream.close();
      policy.close();
      // Every record is written now; ship what waits while the pod's grace period lasts, and
      // say what could not be shipped rather than lose it with the emptyDir silently.
      const unshipped = await shipping.drain(config.shutdownDrainMs ?? DEFAULT_SHUTDOWN_DRAIN_MS);
      if (unshipped !== undefined) {
        await reportUnshipped(unshipped, {
          auditDir: config.auditDir,
          metrics,
          logger,
          kube: kube && config.policyRef ? { client: kube, namespace: config.policyRef.namespace, pod: podName } : undefined,
        });
      }
      kube?.close();
      await audit.close();
    },
  };
}

async function loadClusterParts(): Promise<{
  KubeClient: typeof KubeClient;
  loadConnection: typeof loadConnection;
  KubeApprovals: typeof KubeApprovals;
  KubePolicySource: typeof KubePolicySource;
  KubePinStore: typeof KubePinStore;
}> {
  const [client, config, approvals, source, pins] = await Promise.all([
    import('../kube/client.ts'),
    import('../kube/config.ts'),
    import('./approvals/kube.ts'),
    import('./policy/kube-source.ts'),
    import('./pinning/kube-store.ts'),
  ]);
  return {
    KubeClient: client.KubeClient,
    loadConnection: config.loadConnection,
    KubeApprovals: approvals.KubeApprovals,
    KubePolicySource: source.KubePolicySource,
    KubePinStore: pins.KubePinStore,
  };
}

/** A URL a local client can use for a bound address (the unspecified addresses become loopback). */
function addressUrl(addr: AddressInfo, scheme: string): string {
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${addr.port}`;
}
