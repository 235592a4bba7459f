// A GET of a small JSON document over node:http(s): the issuer's metadata and signing keys,
// which the sidecar needs before it is ready. The global fetch would do, but its first use loads
// and compiles Node's bundled undici, ~15 ms of CPU on the way to /readyz (issue 17), for two
// requests. Like fetch with redirect: 'error', a redirect is an answer this refuses.
import type { IncomingMessage } from 'node:http';
import http from '../../lib/node-http.ts';
import https from 'node:https';
import { readBody } from './body.ts';

/** Key sets and metadata are a few KB; a larger answer is not one. */
const MAX_BYTES = 1024 * 1024;

/** The document at `url`; an error that names the URL otherwise (a status, a timeout, no JSON). */
export async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await get(url, signal);
  } catch (err) {
    throw new Error(`GET ${url}: ${signal.aborted ? `no answer in ${timeoutMs} ms` : (err as Error).message}`, { cause: err });
  }
}

async function get(url: string, signal: AbortSignal): Promise<unknown> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('not an http(s) URL');
  const client = target.protocol === 'https:' ? https : http;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    client.get(target, { headers: { accept: 'application/json' }, signal }, resolve).on('error', reject);
  });
  if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) {
    res.resume();
    throw new Error(`answered ${res.statusCode}`);
  }
  return JSON.parse((await readBody(res, MAX_BYTES)).toString('utf8')) as unknown;
}
