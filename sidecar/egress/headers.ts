// Headers across the egress gateway. Outbound: whatever credential the application sent is
// dropped (the gateway holds the real one), headers that would reveal the pod's network or
// frame the body are dropped, and the body is asked for uncompressed so it can be restored.
// Inbound: hop-by-hop headers and hints that would send the application around the gateway
// (Alt-Svc) are dropped.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { forwardableHeaders } from '../http/headers.ts';

/** Headers that carry credentials in the APIs the gateway fronts (and in general). */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'ocp-apim-subscription-key', 'cookie'];

const NOT_FORWARDED = [
  'host',
  'content-length',
  'content-encoding',
  'expect',
  'accept-encoding',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'via',
];

export interface Credential {
  readonly header: string;
  /** The header's value: the secret, after the scheme when one is set. */
  readonly value: string;
  /** The secret alone, kept out of what the application sees. */
  readonly secret: string;
}

export function outboundHeaders(incoming: IncomingHttpHeaders, host: string, credential: Credential | undefined, bodyLength: number | undefined): OutgoingHttpHeaders {
  const drop = [...CREDENTIAL_HEADERS, ...NOT_FORWARDED];
  if (credential !== undefined) drop.push(credential.header.toLowerCase());
  const out = forwardableHeaders(incoming, drop);
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
