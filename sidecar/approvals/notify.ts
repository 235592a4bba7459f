// Sends approval notices to the policy's approval.notify targets (Teams, generic JSON webhooks).
// A notice is fire-and-forget for the call it is about: the held call waits on the MCPApproval
// (or the admin port), never on a chat service, so a failure here can neither block, approve nor
// reject it. Failures are retried with backoff, then logged and counted; the URL (it carries its
// own key) is never logged, only the Secret it came from.
import { isIP } from 'node:net';
import type { Logger } from '../../lib/log.ts';
import type { NotifyTarget } from '../../policy/types.ts';
import type { SidecarMetrics } from '../admin/metrics.ts';
import { readSecret, secretText } from '../policy/secrets.ts';
import { decisionCommands, teamsPayload, webhookPayload, type ApprovalNotice } from './message.ts';
import type { ApprovalEvent } from './records.ts';

export interface NotifierOptions {
  readonly secretsDir: string | undefined;
  readonly logger: Logger;
  readonly metrics?: Pick<SidecarMetrics, 'approvalNotifications'>;
  readonly attempts?: number;
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  readonly timeoutMs?: number;
}

export const NOTIFY_DEFAULTS = { attempts: 6, initialBackoffMs: 1000, maxBackoffMs: 30_000, timeoutMs: 10_000 } as const;

class Permanent extends Error {}

export class Notifier {
  readonly #o: NotifierOptions;
  /** Per approval and target: the decision follows the announcement, never overtakes it. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();
  /** Standalone: the admin URL the approve/deny commands point at (known once the port is bound). */
  adminUrl: string | undefined;

  constructor(options: NotifierOptions) {
    this.#o = options;
  }

  notify(targets: readonly NotifyTarget[], notice: ApprovalNotice): void {
    targets.forEach((target, i) => {
      const key = `${notice.id}|${i}`;
      const prev = this.#chains.get(key) ?? Promise.resolve();
      const next = prev.then(() => this.#deliver(target, notice));
      this.#chains.set(key, next);
      void next.finally(() => {
        if (this.#chains.get(key) === next) this.#chains.delete(key);
      });
    });
  }

  /** Resolves when every notice sent so far is delivered or given up on. */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  /** Shutdown: retries stop waiting; what is in flight ends within one request timeout. */
  close(): void {
    this.#stop.abort();
  }

  async #deliver(target: NotifyTarget, notice: ApprovalNotice): Promise<void> {
    const attempts = this.#o.attempts ?? NOTIFY_DEFAULTS.attempts;
    let backoff = this.#o.backoff?.initialMs ?? NOTIFY_DEFAULTS.initialBackoffMs;
    const maxBackoff = this.#o.backoff?.maxMs ?? NOTIFY_DEFAULTS.maxBackoffMs;
    const where = `${target.type} (secret ${target.urlSecret.name}/${target.urlSecret.key})`;
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const url = await this.#url(target);
        const cmds = decisionCommands(notice.id, this.adminUrl);
        const body = target.type === 'teams' ? teamsPayload(notice, cmds) : webhookPayload(notice, cmds);
        const retryAfter = await this.#post(url, body);
        if (retryAfter === undefined) {
          this.#o.metrics?.approvalNotifications.inc({ target: target.type, result: 'sent' });
          return;
        }
        last = retryAfter.why;
        if (attempt < attempts) await this.#sleep(Math.min(Math.max(retryAfter.ms ?? 0, backoff), maxBackoff));
      } catch (err) {
        last = (err as Error).message;
        if (err instanceof Permanent) break;
        if (attempt < attempts) await this.#sleep(backoff);
      }
      if (this.#stop.signal.aborted) break;
      if (attempt < attempts) this.#o.metrics?.approvalNotifications.inc({ target: target.type, result: 'retried' });
      backoff = Math.min(backoff * 2, maxBackoff);
    }
    this.#o.metrics?.approvalNotifications.inc({ target: target.type, result: 'failed' });
    this.#o.logger.error('approval notification failed; the call still waits for a decision (approvals list shows it)', {
      target: where,
      approval: notice.id,
      phase: notice.phase,
      error: last,
    });
  }

  async #url(target: NotifyTarget): Promise<URL> {
    const text = secretText(await readSecret(this.#o.secretsDir, target.urlSecret.name, target.urlSecret.key)).trim();
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Permanent(`secret ${target.urlSecret.name}/${target.urlSecret.key} does not hold a URL`);
    }
    const host = url.hostname.replace(/^\[|\]$/gu, '');
    const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      throw new Permanent(`secret ${target.urlSecret.name}/${target.urlSecret.key} holds a ${url.protocol} URL; notifications go over https only`);
    }
    return url;
  }

  /** undefined: delivered. Otherwise worth retrying, after `ms` when the server said so. */
  async #post(url: URL, body: unknown): Promise<{ why: string; ms: number | undefined } | undefined> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.#o.timeoutMs ?? NOTIFY_DEFAULTS.timeoutMs), this.#stop.signal]);
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal, redirect: 'error' });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { why: `cannot reach ${url.host}: ${cause ?? (err as Error).message}`, ms: undefined };
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return undefined;
    const why = `${url.host} answered HTTP ${res.status}`;
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      const ra = res.headers.get('retry-after');
      return { why, ms: ra !== null && /^\d+$/u.test(ra.trim()) ? Number(ra) * 1000 : undefined };
    }
    throw new Permanent(why);
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.#stop.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** The notice for a recorded approval step. Arguments go out only where audit records may hold them (audit.payloads: masked). */
export function noticeOf(e: ApprovalEvent, pod: string | undefined): ApprovalNotice {
  const q = e.question;
  return {
    id: e.id,
    phase: e.phase,
    policy: q.policy,
    tool: q.tool,
    requester: q.principal.sub,
    requesterGroups: q.principal.groups ?? [],
    maskedArguments: q.recordArguments ? q.maskedArguments : { withheld: 'audit.payloads is metadata; run approvals show' },
    expiresAt: e.expiresAt,
    approverGroups: q.approverGroups,
    actor: e.actor.sub,
    reason: e.reason,
    pod,
  };
}
