import { createLogger, isLevel } from '../../lib/log.ts';
import { parseListen } from '../../lib/listen.ts';
import { CliError, defineCommand } from '../command.ts';
import { untilStopSignal } from '../signals.ts';

export const sidecarCommand = defineCommand({
  name: 'sidecar',
  summary: 'Run the enforcement proxy in front of an MCP server',
  description: `
Listens for MCP clients on --listen and forwards to the MCP server at --upstream, keeping the
request path (a client of http://sidecar:15080/mcp reaches <upstream>/mcp). Tokens are verified,
tools allowed, denied or held, personal data masked, and every interaction recorded in the
audit log. The egress gateway on --egress-listen is the MCP server's way to LLM providers.
The transparent egress listener on --transparent-listen takes the pod's outbound connections
that the capture rules (mcp-residency capture apply) redirect to it; with --capture, /readyz
fails until a probe proves those rules are in place.
Without a valid policy, or with the audit log unwritable, every request is refused.`,
  flags: {
    policy: { type: 'string', value: 'FILE', help: 'MCPResidencyPolicy YAML (the same file kubectl apply takes); reloaded when it changes' },
    'policy-ref': { type: 'string', value: 'NAMESPACE/NAME', help: 'watch this MCPResidencyPolicy through the Kubernetes API instead of a file (what the injector sets)' },
    kubeconfig: { type: 'string', value: 'FILE', help: 'kubeconfig for --policy-ref (in-cluster configuration when omitted)' },
    upstream: { type: 'string', value: 'URL', required: true, help: "the MCP server's origin, e.g. http://127.0.0.1:8080" },
    listen: { type: 'string', value: 'ADDR', default: '0.0.0.0:15080', help: 'MCP gateway (inbound) address' },
    'egress-listen': { type: 'string', value: 'ADDR', default: '127.0.0.1:15081', help: 'egress gateway address' },
    'transparent-listen': { type: 'string', value: 'ADDR', default: '[::]:15082', help: 'transparent egress listener for captured traffic (all addresses, IPv4 and IPv6)' },
    capture: { type: 'boolean', help: 'capture is expected (set by the injector): /readyz fails until the capture probe succeeds' },
    'admin-listen': { type: 'string', value: 'ADDR', default: '0.0.0.0:15090', help: 'admin address (/healthz, /readyz, /metrics)' },
    'audit-dir': { type: 'string', value: 'DIR', default: 'mcp-residency-audit', help: 'where the audit log is written' },
    'secrets-dir': { type: 'string', value: 'DIR', help: 'secrets as DIR/<secretName>/<key> files (the mounted-Secret layout)' },
    'pins-file': { type: 'string', value: 'FILE', help: 'standalone: approved tool definitions (tools.pinning), kept across restarts (default: AUDIT_DIR/tool-pins.json)' },
    'audit-durability': { type: 'string', value: 'MODE', default: 'fsync', help: 'fsync (each flush waits for the disk) or group:<ms> (flush at most every <ms>)' },
    'shutdown-drain-seconds': {
      type: 'string',
      value: 'N',
      default: '20',
      help: "on SIGTERM, keep shipping audit records for up to N seconds (keep it below the pod's terminationGracePeriodSeconds; the injector sets it)",
    },
    'log-level': { type: 'string', value: 'LEVEL', default: 'info', help: 'debug, info, warn or error' },
    'app-probes': { type: 'string', value: 'JSON', help: "the app's kubelet probes served on the admin port under /app-health/ (the injector sets this)" },
  },
  examples: ['mcp-residency sidecar --policy examples/demo-policy.yaml --upstream http://127.0.0.1:8080 --listen 127.0.0.1:15080'],
  async run({ flags }) {
    const level = flags['log-level'];
    if (!isLevel(level)) throw new CliError(`--log-level: "${level}" is not one of debug, info, warn, error`, 2);
    let upstream: URL;
    try {
      upstream = new URL(flags.upstream);
    } catch {
      throw new CliError(`--upstream: "${flags.upstream}" is not a URL (e.g. http://127.0.0.1:8080)`, 2);
    }
    if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new CliError(`--upstream: "${flags.upstream}" must be http or https`, 2);
    if ((flags.policy === undefined) === (flags['policy-ref'] === undefined)) {
      throw new CliError('give exactly one of --policy FILE or --policy-ref NAMESPACE/NAME', 2);
    }
    // The sidecar's modules load only when it runs (--help and usage errors stay instant), and
    // the policy watch's only when the policy comes from the API.
    let policyRef;
    if (flags['policy-ref'] !== undefined) {
      const { parsePolicyRef } = await import('../../sidecar/policy/kube-source.ts');
      try {
        policyRef = parsePolicyRef(flags['policy-ref']);
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
    }
    const durability = parseDurability(flags['audit-durability']);
    const drain = flags['shutdown-drain-seconds'];
    if (!/^\d{1,5}$/u.test(drain)) throw new CliError(`--shutdown-drain-seconds: "${drain}" is not a whole number of seconds`, 2);
    const logger = createLogger({ level });
    let listen, egressListen, adminListen, transparentListen;
    try {
      listen = parseListen(flags.listen, '--listen');
      egressListen = parseListen(flags['egress-listen'], '--egress-listen');
      transparentListen = parseListen(flags['transparent-listen'], '--transparent-listen', '[::]:15082');
      adminListen = parseListen(flags['admin-listen'], '--admin-listen');
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    const { appProbeRoute, parseAppProbes } = await import('../../sidecar/admin/app-probes.ts');
    let adminRoutes;
    try {
      adminRoutes = flags['app-probes'] === undefined ? [] : [appProbeRoute(parseAppProbes(flags['app-probes']))];
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    const { startSidecar } = await import('../../sidecar/main.ts');
    const { releaseStartupGarbage } = await import('../../lib/startup-garbage.ts');
    const { IdleReclaimer } = await import('../../lib/idle-reclaim.ts');
    // What a burst of requests grew the young generation to, given back once the pod is quiet.
    const reclaimer = new IdleReclaimer({
      collect: () => {
        const started = performance.now();
        releaseStartupGarbage();
        logger.debug('quiet after a burst: memory given back', { pauseMs: Math.round(performance.now() - started) });
      },
    });
    const sidecar = await startSidecar(
      { policyFile: flags.policy, policyRef, kubeconfig: flags.kubeconfig, upstream, listen, egressListen, adminListen, transparentListen, capture: flags.capture, auditDir: flags['audit-dir'], secretsDir: flags['secrets-dir'], pinsFile: flags['pins-file'], auditDurability: durability, shutdownDrainMs: Number(drain) * 1000 },
      { logger, adminRoutes, onActivity: () => reclaimer.activity() },
    );
    // Once it has started (the first key fetch is done by then, as a rule), give back what
    // start-up left behind: an idle pod would otherwise carry it for its whole life.
    setTimeout(releaseStartupGarbage, STARTUP_SETTLE_MS).unref();
    logger.info('shutting down', { signal: await untilStopSignal() });
    reclaimer.stop();
    await sidecar.close();
    return 0;
  },
});

/**
 * How long after start the start-up garbage is released: long enough for what start-up left in
 * flight (the first key fetch, the first probes) to finish, soon enough that a pod is at its idle
 * size shortly after it is ready.
 */
const STARTUP_SETTLE_MS = 1_000;

function parseDurability(value: string): { mode: 'fsync' } | { mode: 'group'; intervalMs: number } {
  if (value === 'fsync') return { mode: 'fsync' };
  const m = /^group:(\d+)$/u.exec(value);
  if (m && Number(m[1]) > 0 && Number(m[1]) <= 1000) return { mode: 'group', intervalMs: Number(m[1]) };
  throw new CliError(`--audit-durability: "${value}" must be fsync or group:<ms> with 1 <= ms <= 1000`, 2);
}
