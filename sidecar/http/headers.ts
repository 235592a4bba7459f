// Header hygiene for a proxy: hop-by-hop headers (RFC 9110 section 7.6.1) never cross it.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Copies headers minus hop-by-hop ones, those named in Connection, and `drop`. */
export function forwardableHeaders(headers: IncomingHttpHeaders, drop: readonly string[] | ReadonlySet<string> = []): OutgoingHttpHeaders {
  // Most requests carry no Connection header naming others: nothing to split then.
  const connection = headers.connection;
  const named = connection === undefined || connection === '' || connection.toLowerCase() === 'keep-alive' ? undefined : namedIn(connection);
  const dropped = drop instanceof Set ? drop : new Set(drop);
  const out: OutgoingHttpHeaders = {};
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined || HOP_BY_HOP.has(k) || named?.has(k) === true || dropped.has(k)) continue;
    out[k] = v;
  }
  return out;
}

function namedIn(connection: string): Set<string> {
  return new Set(
    connection
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}
