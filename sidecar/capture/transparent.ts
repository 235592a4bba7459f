// The transparent egress listener (port 15082): where the capture rules send every TCP
// connection a container of the pod, other than the sidecar, opens to a non-loopback address.
// The application believes it talks to its destination; nothing it sends is read beyond the
// first bytes that name where it wants to go (the TLS SNI or the HTTP Host), and nothing is
// decrypted or masked.
//
// Each connection passes, in order: from inside the pod, policy loaded, a name read, the same
// decision as a CONNECT through the egress gateway (known destination, region in
// allowedRegions, egress.tunnels), audit log healthy, the name resolved and every address
// checked (SSRF). Then one connection to a checked address of the NAMED host, on the port the
// policy declares for it: never to the address the application dialled, so a forged SNI
// reaches only the host it names. A refusal sends nothing anywhere, answers with a TLS alert
// (TLS), a 403 (HTTP) or a reset, and is recorded. An allowed connection is recorded when it
// closes, with its bytes each way and duration.
import net, { type AddressInfo, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ListenAddress } from '../../lib/listen.ts';
import type { Logger } from '../../lib/log.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import type { Principal } from '../audit/record.ts';
import { decidePassThrough, passReason, ssrfDenial } from '../egress/decide.ts';
import { EgressRecorder, workloadPrincipal, type CallFacts, type Outcome } from '../egress/record.ts';
import { writeRawError, type ErrorDetail } from '../egress/replies.ts';
import { pinPassThrough, systemResolver, type Resolver } from '../egress/resolve.ts';
import { UpstreamFailure } from '../egress/send.ts';
import { connectPinned, splice } from '../egress/tunnel.ts';
import type { AuditSink } from '../inbound/exchange.ts';
import type { PolicyState } from '../policy/runtime.ts';
import { peekDestination } from './peek.ts';
import { PROBE_ANSWER } from './sniff.ts';

/** Where the capture rules redirect the pod's outbound TCP (the CLI's --transparent-listen default). */
export const TRANSPARENT_LISTEN_PORT = 15082;

export interface TransparentLimits {
  /** Most bytes read while looking for the name (a ClientHello or an HTTP request head). */
  readonly maxPeekBytes: number;
  /** How long a new connection may take to name its destination. */
  readonly peekTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly dnsTimeoutMs: number;
}

export const DEFAULT_TRANSPARENT_LIMITS: TransparentLimits = {
  maxPeekBytes: 16 * 1024,
  peekTimeoutMs: 5_000,
  connectTimeoutMs: 10_000,
  dnsTimeoutMs: 5_000,
};

export interface TransparentOptions {
  readonly listen: ListenAddress;
  readonly policy: () => PolicyState;
  readonly audit: AuditSink;
  readonly metrics: SidecarMetrics;
  readonly logger: Logger;
  /** The egress gateway's origin, named in refusals as the route that masks and adds credentials. */
  readonly gatewayOrigin: string;
  /** Name resolution; the system resolver by default. Tests point names at local servers. */
  readonly resolver?: Resolver;
  readonly limits?: Partial<TransparentLimits>;
  /** Who records name; by default the pod (POD_NAME) or "workload". */
  readonly principal?: Principal;
}

export interface TransparentListener {
  address(): AddressInfo;
  /** A nonce the listener will answer once, for probeCapture(); forget() when done. */
  expectProbe(): { readonly nonce: string; forget(): void };
  close(): Promise<void>;
}

type Protocol = 'tls' | 'http' | 'none';

interface Connection {
  readonly call: CallFacts;
  readonly socket: Socket;
  protocol: Protocol;
}

const TLS_ALERT_ACCESS_DENIED = 49;
const TLS_ALERT_INTERNAL_ERROR = 80;

export async function startTransparentListener(options: TransparentOptions): Promise<TransparentListener> {
  const listener = new Listener(options);
  await listener.listen();
  return listener;
}

class Listener implements TransparentListener {
  readonly #o: TransparentOptions;
  readonly #limits: TransparentLimits;
  readonly #resolver: Resolver;
  readonly #recorder: EgressRecorder;
  readonly #server: net.Server;
  readonly #sockets = new Set<Socket>();
  readonly #probes = new Set<string>();
  /** Connections still being handled: close() waits for their records. */
  readonly #handling = new Set<Promise<void>>();
  #closed = false;

  constructor(options: TransparentOptions) {
    this.#o = options;
    this.#limits = { ...DEFAULT_TRANSPARENT_LIMITS, ...options.limits };
    this.#resolver = options.resolver ?? systemResolver;
    this.#recorder = new EgressRecorder(options.audit, options.metrics, options.logger, options.principal ?? workloadPrincipal());
    // Half-open like TCP itself: an application that shuts down its sending side still gets the answer.
    this.#server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.#accept(socket));
  }

  async listen(): Promise<void> {
    const { host, port } = this.#o.listen;
    try {
      await listenOn(this.#server, host, port);
    } catch (err) {
      // A pod without IPv6 cannot bind "::"; its IPv4 traffic is still captured.
      const code = (err as NodeJS.ErrnoException).code;
      if (host !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) {
        throw new Error(`cannot listen on ${host}:${port} (transparent egress): ${code ?? (err as Error).message}`, { cause: err });
      }
      this.#o.logger.warn('IPv6 is unavailable; the transparent egress listener takes IPv4 only', { port });
      await listenOn(this.#server, '0.0.0.0', port);
    }
  }

  address(): AddressInfo {
    return this.#server.address() as AddressInfo;
  }

  expectProbe(): { nonce: string; forget(): void } {
    const nonce = randomBytes(16).toString('hex');
    this.#probes.add(nonce);
    return { nonce, forget: () => this.#probes.delete(nonce) };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    // Connections cut here are still recorded, before the caller closes the audit log.
    await Promise.allSettled([...this.#handling]);
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const c: Connection = { call: { started: process.hrtime.bigint(), method: 'TCP', runtime: undefined, tunnel: true }, socket, protocol: 'none' };
    const handling = this.#handle(c)
      .catch((err: unknown) => {
        this.#o.logger.error('captured connection failed', { error: err });
        socket.resetAndDestroy();
      })
      .finally(() => this.#handling.delete(handling));
    this.#handling.add(handling);
  }

  async #handle(c: Connection): Promise<void> {
    const { socket, call } = c;
    const remote = socket.remoteAddress ?? '';
    if (!isLocalAddress(remote)) {
      // Another pod reaching this port directly would borrow this pod's egress and identity.
      return this.#refuse(c, 'deny', `a connection from ${remote}, outside the pod, reached the transparent egress listener; only the pod's own traffic is captured`);
    }
    const peeked = await peekDestination(socket, this.#limits.maxPeekBytes, this.#limits.peekTimeoutMs);
    if (!peeked.ok) return this.#refuse(c, 'deny', `${peeked.reason}; nothing was sent`);
    const sniffed = peeked.sniffed;
    if (sniffed.kind === 'probe') {
      if (this.#probes.delete(sniffed.nonce)) {
        socket.end(`${PROBE_ANSWER}${sniffed.nonce}\n`);
        return;
      }
      return this.#refuse(c, 'deny', 'a capture probe with a nonce this sidecar did not issue; nothing was sent');
    }
    if (sniffed.kind === 'unnamed') return this.#refuse(c, 'deny', `the connection names no destination (${sniffed.reason}); raw TCP is not passed; nothing was sent`);
    c.protocol = sniffed.kind;
    call.method = sniffed.kind === 'tls' ? 'TLS' : sniffed.method;
    if (sniffed.kind === 'tls' && sniffed.name === undefined) return this.#refuse(c, 'deny', 'the TLS ClientHello has no server name (SNI), so its destination is unknown; nothing was sent');
    const host = sniffed.kind === 'tls' ? sniffed.name! : sniffed.host;
    const port = sniffed.kind === 'tls' ? undefined : (sniffed.port ?? 80);

    const state = this.#o.policy();
    if (!state.ok || this.#closed) return this.#refuse(c, 'deny', `no policy is enforced, so nothing may leave: ${state.ok ? 'the sidecar is shutting down' : state.reason}`, 503);
    call.runtime = state.runtime;
    const policy = state.runtime.policy;
    const decision = decidePassThrough(policy, host, port, this.#o.gatewayOrigin);
    if (!decision.ok) {
      call.destination = decision.denial.destination;
      call.region = decision.denial.region;
      if (decision.denial.upstream !== undefined) call.upstream = decision.denial.upstream;
      return this.#refuse(c, 'deny', decision.denial.message, decision.status, { ...decision.denial });
    }
    const pass = decision.pass;
    call.destination = pass.destination;
    call.region = pass.region;
    if (pass.upstream !== undefined) call.upstream = pass.upstream.name;
    if (!this.#recorder.auditHealthy()) {
      this.#recorder.unrecorded();
      this.#count('error', c.protocol);
      this.#o.logger.error('captured connection refused: the audit log is not healthy', { destination: pass.destination });
      return this.#answerRefusal(c, 'error', 503, { type: 'audit_unavailable', message: 'the audit log is not healthy, so nothing may leave; nothing was sent' });
    }
    const pinned = await pinPassThrough(pass, this.#resolver, this.#limits.dnsTimeoutMs);
    if (!pinned.ok) {
      if (pinned.kind === 'dns') return this.#refuse(c, 'error', `${pinned.reason}; nothing was sent`, 502);
      const denial = ssrfDenial({ ...pass, upstream: pass.upstream?.name }, pinned.reason, policy.egress.allowedRegions);
      return this.#refuse(c, 'deny', denial.message, 403, { ...denial });
    }
    const gone = new AbortController();
    socket.once('close', () => gone.abort());
    let upstream: Socket;
    try {
      upstream = await connectPinned(pinned.addresses, pass.port, this.#limits.connectTimeoutMs, gone.signal);
    } catch (err) {
      if (!(err instanceof UpstreamFailure)) throw err;
      return this.#refuse(c, 'error', `${err.message}; nothing was sent`, err.kind === 'timeout' ? 504 : 502);
    }
    if (this.#closed) {
      upstream.destroy();
      return this.#refuse(c, 'error', 'the sidecar is shutting down; nothing was sent', 503);
    }
    this.#sockets.add(upstream);
    upstream.once('close', () => this.#sockets.delete(upstream));
    upstream.setNoDelay(true);
    // Counted when it opens, recorded when it closes (the record carries the bytes and duration).
    this.#count('allow', c.protocol);
    this.#o.logger.debug('captured connection passed', { destination: pass.destination, method: call.method });
    const bytes = await splice(socket, upstream, peeked.head);
    const named = sniffed.kind === 'tls' ? `TLS connection (SNI ${host})` : `HTTP connection (Host ${host})`;
    const recorded = await this.#recorder.record(call, {
      decision: 'allow',
      reason: `captured ${named} to ${passReason(pass)}: passed through unread, not masked`,
      bytes,
    });
    this.#recorder.finished(call);
    if (!recorded) this.#o.logger.error('a captured connection that was allowed could not be recorded', { destination: pass.destination, ...bytes });
  }

  /** Recorded, then answered: a TLS alert, an HTTP error, or a reset. Nothing reaches any destination. */
  async #refuse(c: Connection, decision: 'deny' | 'error', reason: string, status = 403, detail?: ErrorDetail): Promise<void> {
    const outcome: Outcome = { decision, reason, status, bytes: { sent: 0, received: 0 } };
    this.#count(decision, c.protocol);
    await this.#recorder.record(c.call, outcome);
    this.#recorder.finished(c.call);
    this.#answerRefusal(c, decision, status, detail ?? { type: decision === 'deny' ? 'egress_denied' : 'upstream_unreachable', message: reason });
  }

  #answerRefusal(c: Connection, decision: 'deny' | 'error', status: number, detail: ErrorDetail): void {
    const { socket } = c;
    if (socket.destroyed) return;
    // Half-open is allowed: a client that never closes its side after a refusal is cut.
    socket.setTimeout(this.#limits.peekTimeoutMs, () => socket.destroy());
    if (c.protocol === 'tls') {
      // A fatal alert before any ServerHello: the application's TLS stack reports the handshake refused.
      socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, decision === 'deny' ? TLS_ALERT_ACCESS_DENIED : TLS_ALERT_INTERNAL_ERROR]));
    } else if (c.protocol === 'http') {
      writeRawError(socket, status, detail);
    } else {
      socket.resetAndDestroy();
    }
  }

  #count(decision: 'allow' | 'deny' | 'error', protocol: Protocol): void {
    this.#o.metrics.capturedConnections.inc({ decision, protocol });
  }
}

function listenOn(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, ...(host === '::' ? { ipv6Only: false } : {}) }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

let localAddresses: ReadonlySet<string> | undefined;

/** Loopback or an address of one of this network namespace's interfaces (re-read on a miss). */
function isLocalAddress(address: string): boolean {
  const a = address.replace(/^::ffff:/u, '').toLowerCase();
  if (a.startsWith('127.') || a === '::1') return true;
  if (localAddresses?.has(a) === true) return true;
  localAddresses = new Set(
    Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .map((i) => i.address.replace(/%.*$/u, '').toLowerCase()),
  );
  return localAddresses.has(a);
}
