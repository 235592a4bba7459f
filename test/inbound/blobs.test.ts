// Base64 payloads are a channel like any other (issue 19): textual ones are masked inside,
// binary ones pass only when their signature matches their mimeType, the rest is masked as text.
import { expect } from 'chai';
import { MaskReport } from '../../sidecar/masking/engine.ts';
import { protectServerMessage } from '../../sidecar/inbound/messages.ts';
import { ToolPolicy } from '../../sidecar/inbound/tool-policy.ts';
import { redactor } from '../masking/helpers.ts';

const engines = { masker: redactor(), tools: new ToolPolicy({ default: 'allow', rules: [], pinning: 'off', pins: [] }) };
const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR jane.doe@example.com')]);

function contents(resource: Record<string, unknown>): Record<string, unknown> {
  const message = { jsonrpc: '2.0' as const, id: 1, result: { contents: [{ uri: 'file:///x', ...resource }] } };
  const out = protectServerMessage(message, { method: 'resources/read', groups: [] }, engines, new MaskReport()) as typeof message;
  return out.result.contents[0]!;
}

describe('inbound: blobs', () => {
  it('decodes, masks and re-encodes a text/plain blob', () => {
    const out = contents({ mimeType: 'text/plain', blob: b64('mail jane.doe@example.com') });
    expect(Buffer.from(out.blob as string, 'base64').toString()).to.equal('mail [EMAIL]');
  });

  it('masks a JSON blob as a document (card number as a JSON number)', () => {
    const out = contents({ mimeType: 'application/json', blob: b64('{"card":4111111111111111,"mail":"jane.doe@example.com"}') });
    expect(Buffer.from(out.blob as string, 'base64').toString()).to.equal('{"card":"[CREDIT_CARD]","mail":"[EMAIL]"}');
  });

  it('passes an image whose signature matches its mimeType untouched (steganography is out of scope)', () => {
    const blob = PNG.toString('base64');
    expect(contents({ mimeType: 'image/png', blob }).blob).to.equal(blob);
  });

  it('masks as text a blob that claims to be an image but is not one', () => {
    const out = contents({ mimeType: 'image/png', blob: b64('a note for jane.doe@example.com') });
    expect(Buffer.from(out.blob as string, 'base64').toString('latin1')).to.equal('a note for [EMAIL]');
  });

  it('masks image content data the same way', () => {
    const message = { jsonrpc: '2.0' as const, id: 1, result: { content: [{ type: 'image', mimeType: 'image/jpeg', data: b64('4111 1111 1111 1111') }] } };
    const out = protectServerMessage(message, { method: 'tools/call', groups: [] }, engines, new MaskReport()) as typeof message;
    expect(Buffer.from(out.result.content[0]!.data, 'base64').toString('latin1')).to.equal('[CREDIT_CARD]');
  });

  it('masks a "blob" that is not base64 at all as the text it is', () => {
    expect(contents({ mimeType: 'application/octet-stream', blob: 'jane.doe@example.com' }).blob).to.equal('[EMAIL]');
  });
});
