// Proof that the capture rules are in place: the sidecar dials an address where nothing
// listens (127.0.0.6:15083) and sends a nonce. The rules redirect exactly that connection of
// the sidecar's own UID to the transparent listener, which answers the nonce it issued; without
// the rules the dial is refused, and nothing else knows the nonce. /readyz reports the result,
// re-checked periodically so rules removed later are noticed.
import net from 'node:net';
import type { HealthState } from '../admin/readiness.ts';
import type { Logger } from '../../lib/log.ts';
import { PROBE_ANSWER, PROBE_PREFIX } from './sniff.ts';
import type { TransparentListener } from './transparent.ts';

/** Where the rules redirect the sidecar's probe (fixed with the capture rules, sidecar/capture/rules). */
export const PROBE_TARGET = { host: '127.0.0.6', port: 15083 } as const;

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

/** One probe: ok when the listener answered this probe's nonce over the redirected connection. */
export function probeCapture(listener: TransparentListener, target: ProbeTarget = PROBE_TARGET, timeoutMs = 2_000): Promise<HealthState> {
  const probe = listener.expectProbe();
  const where = `${target.host}:${target.port}`;
  return new Promise<HealthState>((resolve) => {
    let answer = '';
    let settled = false;
    const socket = net.connect({ host: target.host, port: target.port });
    const finish = (state: HealthState): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      probe.forget();
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `capture not in place: no answer to the probe through ${where} within ${timeoutMs / 1000}s` }), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(`${PROBE_PREFIX}${probe.nonce}\n`));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.length > 128) finish({ ok: false, reason: `capture not in place: ${where} answered something other than the transparent listener` });
    });
    socket.on('end', () =>
      finish(
        answer === `${PROBE_ANSWER}${probe.nonce}\n`
          ? { ok: true }
          : { ok: false, reason: `capture not in place: ${where} answered something other than the transparent listener` },
      ),
    );
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, reason: `capture not in place: the probe to ${where} was not redirected to the sidecar (${err.code ?? err.message}); run mcp-residency capture apply in the pod's network namespace` }),
    );
  });
}

export interface CaptureMonitorOptions {
  readonly listener: TransparentListener;
  readonly logger: Logger;
  readonly target?: ProbeTarget;
  /** Between probes once capture was proved (default 30 s); failed probes are retried every second. */
  readonly intervalMs?: number;
  /** Set with the result of each probe (the capture_in_place gauge). */
  readonly onResult?: (inPlace: boolean) => void;
}

/** Probes now and then periodically; `health()` is what /readyz shows. */
export class CaptureMonitor {
  readonly #o: CaptureMonitorOptions;
  #state: HealthState = { ok: false, reason: 'capture not yet checked' };
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #checked = false;

  constructor(options: CaptureMonitorOptions) {
    this.#o = options;
  }

  /** Resolves after the first probe, so the sidecar starts knowing whether it is captured. */
  async start(): Promise<void> {
    await this.#run();
  }

  health(): HealthState {
    return this.#state;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #run(): Promise<void> {
    const state = await probeCapture(this.#o.listener, this.#o.target);
    if (this.#stopped) return;
    if (state.ok !== this.#state.ok || !this.#checked) {
      if (state.ok) this.#o.logger.info('capture in place: the sidecar receives its own redirected traffic');
      else this.#o.logger.error('capture is not in place: traffic can leave the pod around the sidecar', { reason: state.reason });
    }
    this.#state = state;
    this.#checked = true;
    this.#o.onResult?.(state.ok);
    this.#timer = setTimeout(() => void this.#run(), state.ok ? (this.#o.intervalMs ?? 30_000) : 1_000);
    this.#timer.unref();
  }
}
