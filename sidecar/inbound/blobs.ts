// Base64 payloads in MCP messages (resource `blob`, image and audio `data`) are a channel like
// any other. A textual one (text/*, JSON, XML, YAML, CSV) is decoded, masked and encoded again.
// Any other passes untouched only when it is what it claims: its base64 is canonical and its
// first bytes are the signature of its mimeType. Everything else is masked as text: the
// decoded bytes read as Latin-1 (one character per byte, so the bytes around a finding are
// kept), or, when it is not base64 at all, the string itself. Pure: no I/O.
import type { Masker, MaskReport } from '../masking/engine.ts';

const TEXTUAL = /^(?:text\/[\w.+-]+|application\/(?:[\w.-]+\+)?(?:json|xml|yaml|x-yaml|csv|x-ndjson|javascript|ecmascript|x-www-form-urlencoded|graphql|sql|toml))\s*(?:;|$)/iu;
const JSONISH = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/iu;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

/** Signatures (offset, bytes) by mimeType, from each format's specification. */
const MAGIC: Record<string, readonly (readonly [number, readonly number[]])[]> = {
  'image/png': [[0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]]],
  'image/jpeg': [[0, [0xff, 0xd8, 0xff]]],
  'image/gif': [[0, [0x47, 0x49, 0x46, 0x38]]],
  'image/webp': [[0, [0x52, 0x49, 0x46, 0x46]], [8, [0x57, 0x45, 0x42, 0x50]]],
  'image/bmp': [[0, [0x42, 0x4d]]],
  'audio/wav': [[0, [0x52, 0x49, 0x46, 0x46]], [8, [0x57, 0x41, 0x56, 0x45]]],
  'audio/x-wav': [[0, [0x52, 0x49, 0x46, 0x46]], [8, [0x57, 0x41, 0x56, 0x45]]],
  'audio/ogg': [[0, [0x4f, 0x67, 0x67, 0x53]]],
  'audio/flac': [[0, [0x66, 0x4c, 0x61, 0x43]]],
  'audio/mpeg': [[0, [0x49, 0x44, 0x33]]],
  'application/pdf': [[0, [0x25, 0x50, 0x44, 0x46, 0x2d]]],
  'application/zip': [[0, [0x50, 0x4b, 0x03, 0x04]]],
  'application/gzip': [[0, [0x1f, 0x8b]]],
};

function signatureMatches(b64: string, mimeType: string): boolean {
  const signature = MAGIC[mimeType.split(';')[0]!.trim().toLowerCase()];
  if (signature === undefined) return false;
  // 16 base64 characters are the first 12 bytes: enough for every signature above.
  const head = Buffer.from(b64.slice(0, 16), 'base64');
  return signature.every(([at, bytes]) => bytes.every((b, i) => head[at + i] === b));
}

/** The base64 payload as the client may see it. */
export function maskBlob(b64: string, mimeType: unknown, masker: Masker, report: MaskReport): string {
  const type = typeof mimeType === 'string' ? mimeType : '';
  if (!BASE64.test(b64)) return masker.maskText(b64, report);
  if (TEXTUAL.test(type)) {
    const text = Buffer.from(b64, 'base64').toString('utf8');
    const masked = JSONISH.test(type) ? masker.maskJsonText(text, report) : masker.maskText(text, report);
    return masked === text ? b64 : Buffer.from(masked, 'utf8').toString('base64');
  }
  if (signatureMatches(b64, type)) return b64;
  const bytes = Buffer.from(b64, 'base64').toString('latin1');
  const masked = masker.maskText(bytes, report);
  return masked === bytes ? b64 : Buffer.from(masked, 'latin1').toString('base64');
}
