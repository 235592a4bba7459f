// Masking a request body on its way to a provider, by what it is: a provider API the gateway
// knows (masked field by field), other JSON (every string masked), text (masked as text), URL-
// encoded forms (each value masked). Bodies that cannot be masked (multipart uploads, binary)
// are refused rather than sent unread. Compressed bodies are decompressed first and go out
// uncompressed. Pure apart from zlib.
import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from 'node:zlib';
import { MaskingDepthError, type Masker, type MaskReport } from '../../masking/engine.ts';
import { anthropicApi } from './anthropic.ts';
import { openAiApi } from './openai.ts';
import { maskShaped, type ShapeRules } from './shape.ts';

export type BodyKind = 'none' | 'provider-json' | 'json' | 'text' | 'form';

export type MaskedBody =
  | {
      readonly ok: true;
      readonly body: Buffer;
      readonly kind: BodyKind;
      readonly api: string | undefined;
      /** `body` as a value, when it was serialized from one: the audit record need not parse it again. */
      readonly json?: Record<string, unknown>;
    }
  | { readonly ok: false; readonly status: 413 | 415 | 422; readonly message: string };

export interface BodyInfo {
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** The path on the upstream, without the query. */
  readonly pathname: string;
  /** Largest body accepted, also after decompression. */
  readonly limit: number;
}

/** The provider API a path belongs to, for the body rules and the audit record. */
export function providerApi(pathname: string): { name: string; rules: ShapeRules } | undefined {
  return anthropicApi(pathname) ?? openAiApi(pathname);
}

export function maskRequestBody(raw: Buffer, info: BodyInfo, masker: Masker, report: MaskReport): MaskedBody {
  if (raw.length === 0) return { ok: true, body: raw, kind: 'none', api: undefined };
  const decoded = decode(raw, info.contentEncoding, info.limit);
  if (!decoded.ok) return decoded;
  const mediaType = (info.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = decoded.body.toString('utf8');
  try {
    if (mediaType === '' || mediaType === 'application/json' || mediaType.endsWith('+json')) return maskJsonBody(text, info.pathname, masker, report);
    if (mediaType.startsWith('text/') || mediaType === 'application/x-ndjson' || mediaType === 'application/jsonl') {
      return { ok: true, body: Buffer.from(masker.maskText(text, report)), kind: 'text', api: undefined };
    }
    if (mediaType === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(text);
      const out = new URLSearchParams();
      for (const [k, v] of form) out.append(k, masker.maskText(v, report));
      return { ok: true, body: Buffer.from(out.toString()), kind: 'form', api: undefined };
    }
  } catch (err) {
    if (err instanceof MaskingDepthError) return { ok: false, status: 422, message: 'the request body is nested too deeply to be masked; it was not sent' };
    throw err;
  }
  return {
    ok: false,
    status: 415,
    message: `a ${mediaType} body cannot be masked, so it is not sent; send JSON or text (file and audio uploads are not supported through the egress gateway)`,
  };
}

function maskJsonBody(text: string, pathname: string, masker: Masker, report: MaskReport): MaskedBody {
  const api = providerApi(pathname);
  if (api !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const masked = maskShaped(parsed as Record<string, unknown>, api.rules, masker, report);
      return { ok: true, body: Buffer.from(JSON.stringify(masked)), kind: 'provider-json', api: api.name, json: masked };
    }
  }
  // Other JSON keeps its formatting; text that is not JSON is masked as text.
  return { ok: true, body: Buffer.from(masker.maskJsonText(text, report)), kind: 'json', api: api?.name };
}

function decode(raw: Buffer, encoding: string | undefined, limit: number): { ok: true; body: Buffer } | { ok: false; status: 413 | 415; message: string } {
  const codings = (encoding ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'identity');
  let body = raw;
  // Codings are listed in the order they were applied; undo them last first.
  for (const coding of codings.reverse()) {
    const options = { maxOutputLength: limit };
    try {
      if (coding === 'gzip' || coding === 'x-gzip') body = gunzipSync(body, options);
      else if (coding === 'deflate') body = inflateSync(body, options);
      else if (coding === 'br') body = brotliDecompressSync(body, options);
      else if (coding === 'zstd') body = zstdDecompressSync(body, options);
      else return { ok: false, status: 415, message: `content-encoding ${coding} is not supported; the body cannot be masked, so it is not sent` };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { ok: false, status: 413, message: `the decompressed body is larger than ${limit} bytes` };
      return { ok: false, status: 415, message: `the ${coding} body does not decompress; it was not sent` };
    }
  }
  return { ok: true, body };
}
