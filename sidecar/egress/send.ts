// Sending one request to an upstream at an address that was checked, not at its name: the
// TCP connection goes to the pinned address, TLS still verifies the certificate for the
// upstream's host name (SNI and identity check use the name). Connection failures move on to
// the next checked address; timeouts and cancellation give clear, typed errors.
import type { Agent, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import http from '../../lib/node-http.ts';
import https from 'node:https';
import { isIP } from 'node:net';
import type { ResolvedAddress } from './resolve.ts';

export type FailureKind = 'connect' | 'tls' | 'timeout' | 'reset' | 'aborted';

export class UpstreamFailure extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface PinnedRequest {
  /** The upstream's URL: protocol, host name (for Host, SNI and certificate) and port. */
  readonly url: URL;
  readonly addresses: readonly ResolvedAddress[];
  readonly method: string;
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer | undefined;
  readonly agent: Agent;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly signal: AbortSignal;
}

const RETRYABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EAI_AGAIN']);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME|SSL_/u;

export async function sendPinned(r: PinnedRequest): Promise<IncomingMessage> {
  let last: UpstreamFailure | undefined;
  for (const address of r.addresses) {
    try {
      return await attempt(r, address);
    } catch (err) {
      if (!(err instanceof UpstreamFailure)) throw err;
      last = err;
      // Only a connection that was never made may be tried elsewhere: nothing was sent on it.
      if (err.kind !== 'connect' || r.signal.aborted) throw err;
    }
  }
  throw last ?? new UpstreamFailure('connect', `no address to connect to for ${r.url.host}`);
}

function attempt(r: PinnedRequest, to: ResolvedAddress): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const hostname = r.url.hostname.replace(/^\[|\]$/gu, '');
    const secure = r.url.protocol === 'https:';
    const where = `${r.url.host} (${to.address})`;
    const out = (secure ? https : http).request({
      host: to.address,
      family: to.family,
      port: r.url.port === '' ? (secure ? 443 : 80) : Number(r.url.port),
      method: r.method,
      path: r.path,
      headers: r.headers,
      setHost: false,
      agent: r.agent,
      // SNI and the certificate check use the name; an IP-literal upstream is checked as an IP.
      ...(secure && isIP(hostname) === 0 ? { servername: hostname } : {}),
    });
    let settled = false;
    let connected = false;
    const fail = (err: UpstreamFailure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(responseTimer);
      r.signal.removeEventListener('abort', onAbort);
      out.destroy();
      reject(err);
    };
    const responseTimer = setTimeout(
      () => fail(new UpstreamFailure('timeout', `the upstream ${where} did not answer within ${r.responseTimeoutMs / 1000}s`)),
      r.responseTimeoutMs,
    );
    const onAbort = (): void => fail(new UpstreamFailure('aborted', 'the application went away before the upstream answered'));
    out.on('socket', (socket) => {
      if (!socket.connecting) {
        connected = true; // a kept-alive connection
        return;
      }
      const timer = setTimeout(
        () => fail(new UpstreamFailure('connect', `cannot connect to the upstream ${where} within ${r.connectTimeoutMs / 1000}s`)),
        r.connectTimeoutMs,
      );
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        connected = true;
        clearTimeout(timer);
      });
      socket.once('close', () => clearTimeout(timer));
    });
    out.on('response', (res) => {
      settled = true;
      clearTimeout(responseTimer);
      r.signal.removeEventListener('abort', onAbort);
      resolve(res);
    });
    out.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (TLS_CODES.test(code)) {
        fail(new UpstreamFailure('tls', `TLS with the upstream ${where} failed: ${code} (${err.message})`));
      } else if (!connected && RETRYABLE.has(code)) {
        fail(new UpstreamFailure('connect', `cannot connect to the upstream ${where}: ${code}`));
      } else {
        fail(new UpstreamFailure('reset', `the connection to the upstream ${where} failed: ${code || err.message}`));
      }
    });
    if (r.signal.aborted) onAbort();
    else r.signal.addEventListener('abort', onAbort, { once: true });
    out.end(r.body);
  });
}
