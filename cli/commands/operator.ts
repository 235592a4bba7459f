import { hostname } from 'node:os';
import { createLogger } from '../../lib/log.ts';
import {
  checkTiming,
  OptionsError,
  parseAddress,
  parseDuration,
  parseLevel,
  type OperatorOptions,
} from '../../operator/options.ts';
import { CliError, defineCommand } from '../command.ts';
import { untilStopSignal } from '../signals.ts';
import { injectionFlags, injectionSettingsFrom } from './injection-flags.ts';

const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

export const operatorCommand = defineCommand({
  name: 'operator',
  summary: 'Run the operator: sidecar injection, policy validation and status',
  description: `
Serves two admission webhooks over TLS: /mutate/pods injects the mcp-residency-proxy sidecar
into pods annotated mcpresidency.io/policy, and /validate/mcpresidencypolicies refuses invalid
policies with the messages of 'policy validate'. Keeps each policy's status (Ready, enforcing
and unprotected pods), reports pods that run without the sidecar (Event, status, metric), and
grants sidecars read access to their policy. Makes and rotates its own webhook certificates
(stored in --tls-secret) and keeps the webhook configurations' caBundle in step.

Uses --kubeconfig when given, the pod's service account otherwise.`,
  flags: {
    kubeconfig: { type: 'string', value: 'FILE', help: 'kubeconfig to use (default: in-cluster service account)' },
    context: { type: 'string', value: 'NAME', help: 'kubeconfig context (default: current-context)' },
    namespace: { type: 'string', value: 'NS', help: "the operator's own namespace (default: $POD_NAMESPACE, then the in-cluster or context namespace)" },
    'webhook-listen': { type: 'string', value: 'ADDR', default: '0.0.0.0:9443', help: 'admission webhook (HTTPS) address' },
    'admin-listen': { type: 'string', value: 'ADDR', default: '0.0.0.0:9090', help: '/healthz, /readyz and /metrics (HTTP) address' },
    ...injectionFlags,
    'exclude-namespaces': { type: 'string', value: 'NS,...', help: 'more namespaces never injected (kube-system, kube-public, kube-node-lease and --namespace always are)' },
    'leader-elect': { type: 'boolean', help: 'elect a leader (a Lease) to write status, Events, RBAC and certificates; every replica serves the webhooks' },
    'leader-election-lease': { type: 'string', value: 'NAME', default: 'mcp-residency-operator', help: 'the Lease in --namespace' },
    'mutating-webhook-configurations': { type: 'string', value: 'NAME,...', default: 'mcp-residency', help: 'MutatingWebhookConfigurations whose caBundle the operator keeps' },
    'validating-webhook-configurations': { type: 'string', value: 'NAME,...', default: 'mcp-residency', help: 'ValidatingWebhookConfigurations whose caBundle the operator keeps' },
    'webhook-service': { type: 'string', value: 'NAME', default: 'mcp-residency-webhook', help: 'the Service in front of the webhook (names in the serving certificate)' },
    'webhook-hosts': { type: 'string', value: 'HOST,...', help: 'more DNS names or IPs for the serving certificate' },
    'tls-secret': { type: 'string', value: 'NAME', default: 'mcp-residency-webhook-tls', help: 'Secret in --namespace holding the webhook CA and serving certificate' },
    'ca-validity': { type: 'string', value: 'DURATION', default: '365d', help: 'lifetime of a webhook CA' },
    'ca-renew-before': { type: 'string', value: 'DURATION', default: '90d', help: 'add a new CA this long before the current one expires' },
    'ca-overlap': { type: 'string', value: 'DURATION', default: '5m', help: 'how long a new CA is trusted before serving certificates move to it' },
    'serving-validity': { type: 'string', value: 'DURATION', default: '30d', help: 'lifetime of a serving certificate' },
    'serving-renew-before': { type: 'string', value: 'DURATION', default: '10d', help: 'renew the serving certificate this long before it expires' },
    'sidecar-rbac-name': { type: 'string', value: 'NAME', default: 'mcp-residency-sidecar', help: 'the Role and RoleBinding kept in namespaces with protected pods' },
    resync: { type: 'string', value: 'DURATION', default: '5m', help: 'how often everything is re-checked even without changes' },
    'watch-idle-timeout': { type: 'string', value: 'DURATION', default: '3m', help: 'restart a watch that delivered nothing (not even a bookmark) for this long' },
    'log-level': { type: 'string', value: 'LEVEL', default: 'info', help: 'debug, info, warn or error' },
    'approver-username-prefix': {
      type: 'string',
      value: 'PREFIX',
      default: '',
      help: "stripped from an approver's Kubernetes user name before comparing it with the requester's token subject (the API server's --oidc-username-prefix, e.g. oidc:)",
    },
  },
  examples: [
    'mcp-residency operator                                   # in a cluster',
    'mcp-residency operator --kubeconfig ~/.kube/config --namespace mcp-residency-system --webhook-hosts 127.0.0.1',
  ],
  async run({ flags, io }) {
    // yaml (kubeconfig) loads here, not with the CLI: every other command would pay for it.
    const { ConfigError, loadConnection } = await import('../../kube/config.ts');
    let options: OperatorOptions;
    let connection;
    try {
      connection = loadConnection(flags.kubeconfig, { context: flags.context, env: io.env });
      const namespace = flags.namespace ?? io.env.POD_NAMESPACE ?? connection.namespace;
      if (!namespace) throw new OptionsError('--namespace is required here (no POD_NAMESPACE, no namespace in the kubeconfig context)');
      const { sidecar, capture } = injectionSettingsFrom(flags);
      options = {
        namespace,
        identity: io.env.POD_NAME ?? hostname(),
        sidecar,
        capture,
        approverUsernamePrefix: flags['approver-username-prefix'],
        excludeNamespaces: list(flags['exclude-namespaces']),
        webhookListen: parseAddress('webhook-listen', flags['webhook-listen']),
        adminListen: parseAddress('admin-listen', flags['admin-listen']),
        leaderElect: flags['leader-elect'],
        leaseName: flags['leader-election-lease'],
        mutatingWebhookConfigs: list(flags['mutating-webhook-configurations']),
        validatingWebhookConfigs: list(flags['validating-webhook-configurations']),
        tlsSecret: flags['tls-secret'],
        webhookService: flags['webhook-service'],
        webhookHosts: list(flags['webhook-hosts']),
        tlsTiming: checkTiming({
          caValidityMs: parseDuration('ca-validity', flags['ca-validity']),
          caRenewBeforeMs: parseDuration('ca-renew-before', flags['ca-renew-before']),
          overlapMs: parseDuration('ca-overlap', flags['ca-overlap']),
          servingValidityMs: parseDuration('serving-validity', flags['serving-validity']),
          servingRenewBeforeMs: parseDuration('serving-renew-before', flags['serving-renew-before']),
        }),
        sidecarRbacName: flags['sidecar-rbac-name'],
        resyncMs: parseDuration('resync', flags.resync),
        watchIdleTimeoutMs: parseDuration('watch-idle-timeout', flags['watch-idle-timeout']),
        logLevel: parseLevel('log-level', flags['log-level']),
      };
    } catch (err) {
      if (err instanceof OptionsError || err instanceof ConfigError) throw new CliError(err.message, 2);
      throw err;
    }
    const logger = createLogger({ level: options.logLevel, out: io.stderr, fields: { component: 'operator' } });
    const { startOperator } = await import('../../operator/run.ts');
    const operator = await startOperator(options, { connection, logger });
    logger.info('shutting down', { signal: await untilStopSignal() });
    await operator.stop();
    return 0;
  },
});
