// One watch connection: a streaming GET from a resourceVersion, read line by line until the
// server ends it, the resourceVersion expires (410 Gone), the caller aborts, or it goes silent.
// The silence detector is the point: a watch whose TCP peer vanished (a NAT or load balancer
// dropped the flow, the API server was killed hard) never errors on its own in Node; it just
// stops delivering (kubernetes-client/javascript#596). The informer decides what to do next.
import type { KubeClient } from './client.ts';
import { ApiError } from './client.ts';
import { isStatus, type KubeObject, type WatchEvent } from './types.ts';

export type WatchEnd =
  /** the server ended the stream (its timeoutSeconds, or a restart): resume from the last resourceVersion */
  | { readonly kind: 'closed'; readonly events: number }
  /** 410 Gone: the resourceVersion is too old to resume from; list again */
  | { readonly kind: 'expired'; readonly events: number }
  /** nothing arrived for idleTimeoutMs, not even a bookmark: assume the connection is dead */
  | { readonly kind: 'idle'; readonly events: number }
  | { readonly kind: 'error'; readonly error: Error; readonly events: number }
  | { readonly kind: 'aborted'; readonly events: number };

export interface WatchOptions {
  /** the collection path, e.g. /api/v1/pods or /apis/g/v/namespaces/ns/things */
  readonly path: string;
  readonly resourceVersion: string;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
  /** asks the server to end the watch after this long (it is then resumed); spreads reconnects */
  readonly timeoutSeconds: number;
  readonly idleTimeoutMs: number;
  readonly signal: AbortSignal;
  /** called for every event, bookmarks included, in order */
  readonly onEvent: (event: WatchEvent<KubeObject>) => void;
  /** called once the server accepted the watch (200): the API is reachable */
  readonly onOpen?: () => void;
}

export function watchOnce(client: KubeClient, options: WatchOptions): Promise<WatchEnd> {
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort();
  options.signal.addEventListener('abort', onOuterAbort, { once: true });
  let events = 0;

  return new Promise<WatchEnd>((resolve) => {
    let done = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (end: WatchEnd): void => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      options.signal.removeEventListener('abort', onOuterAbort);
      abort.abort(); // tears down the socket if it is still open
      resolve(end);
    };
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => finish({ kind: 'idle', events }), options.idleTimeoutMs);
      idle.unref();
    };
    if (options.signal.aborted) return finish({ kind: 'aborted', events });
    armIdle();

    client
      .openStream(
        options.path,
        {
          watch: 1,
          resourceVersion: options.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: options.timeoutSeconds,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
        },
        abort.signal,
      )
      .then(
        (res) => {
          const status = res.statusCode ?? 0;
          if (status !== 200) {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('error', () => {});
            res.on('end', () => {
              if (status === 410) return finish({ kind: 'expired', events });
              // An exec plugin's credential the API server no longer takes: the retried watch runs the plugin again.
              if (status === 401) client.connection.exec?.invalidate();
              finish({ kind: 'error', error: ApiError.fromText('WATCH', options.path, status, text), events });
            });
            return;
          }
          options.onOpen?.();
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (done) return;
            armIdle();
            buf += chunk;
            for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
              const line = buf.slice(0, nl).trim();
              buf = buf.slice(nl + 1);
              if (line === '') continue;
              let event: WatchEvent<KubeObject>;
              try {
                event = JSON.parse(line) as WatchEvent<KubeObject>;
              } catch {
                return finish({ kind: 'error', error: new Error(`watch ${options.path}: undecodable event: ${line.slice(0, 200)}`), events });
              }
              if (event.type === 'ERROR') {
                const s = event.object as unknown;
                if (isStatus(s) && (s.code === 410 || s.reason === 'Expired' || s.reason === 'Gone')) return finish({ kind: 'expired', events });
                return finish({ kind: 'error', error: new ApiError('WATCH', options.path, isStatus(s) ? (s.code ?? 500) : 500, isStatus(s) ? s : line), events });
              }
              events++;
              try {
                options.onEvent(event);
              } catch (err) {
                return finish({ kind: 'error', error: err instanceof Error ? err : new Error(String(err)), events });
              }
              if (done) return;
            }
          });
          res.on('end', () => finish({ kind: 'closed', events }));
          res.on('close', () => finish(options.signal.aborted ? { kind: 'aborted', events } : { kind: 'closed', events }));
          res.on('error', (error) => finish(options.signal.aborted ? { kind: 'aborted', events } : { kind: 'error', error, events }));
        },
        (error: unknown) => finish(options.signal.aborted ? { kind: 'aborted', events } : { kind: 'error', error: error instanceof Error ? error : new Error(String(error)), events }),
      );
  });
}
