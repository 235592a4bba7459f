// Headers across the egress gateway. Outbound: only an allow-list of the application's headers
// passes (what provider APIs need), each value masked: a header such as X-User-Email is a
// channel the body masking never sees. Whatever credential the application sent is dropped
// (the gateway holds the real one), and the body is asked for uncompressed so it can be restored.
// Inbound: hop-by-hop headers and hints that would send the application around the gateway
// (Alt-Svc) are dropped.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { forwardableHeaders } from '../http/headers.ts';

export interface Credential {
  readonly header: string;
  /** The header's value: the secret, after the scheme when one is set. */
  readonly value: string;
  /** The secret alone, kept out of what the application sees. */
  readonly secret: string;
}

/** The application's request headers that reach a provider; the rest are dropped. */
const APP_HEADERS = ['content-type', 'accept', 'user-agent', 'anthropic-version', 'anthropic-beta', 'openai-beta', 'openai-organization', 'openai-project', 'idempotency-key'];

export function outboundHeaders(
  incoming: IncomingHttpHeaders,
  host: string,
  credential: Credential | undefined,
  bodyLength: number | undefined,
  mask: (value: string) => string,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name of APP_HEADERS) {
    const v = incoming[name];
    if (typeof v === 'string') out[name] = mask(v);
  }
  out.host = host;
  // The body is restored (and scrubbed of the credential) as it streams back: it must be readable.
  out['accept-encoding'] = 'identity';
  if (bodyLength !== undefined) out['content-length'] = String(bodyLength);
  if (credential !== undefined) out[credential.header.toLowerCase()] = credential.value;
  return out;
}

/** The credential header's value for a secret, or undefined when the secret is unusable. */
export function credentialValue(secret: string, scheme: string | undefined): string | undefined {
  // A value with a line break or other control character could inject headers: refuse it.
  // eslint-disable-next-line no-control-regex
  if (secret === '' || /[\u0000-\u0008\u000a-\u001f\u007f]/u.test(secret)) return undefined;
  return scheme === undefined || scheme === '' ? secret : `${scheme} ${secret}`;
}

export function responseHeaders(incoming: IncomingHttpHeaders, rewritten: boolean): OutgoingHttpHeaders {
  const drop = ['alt-svc'];
  // The body is re-encoded or changes length on the way.
  if (rewritten) drop.push('content-length', 'content-encoding', 'content-md5', 'digest', 'repr-digest', 'content-digest', 'etag');
  return forwardableHeaders(incoming, drop);
}
