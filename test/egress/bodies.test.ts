import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import { BUILTIN_DETECTORS } from '../../policy/builtin-detectors.ts';
import { maskRequestBody, providerApi } from '../../sidecar/egress/bodies/request.ts';
import { Masker, MaskReport } from '../../sidecar/masking/engine.ts';

const masker = new Masker({ mode: 'pseudonymize', key: Buffer.from('k-0123456789'), detectors: BUILTIN_DETECTORS, custom: [], fields: [] });
const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';

/** The value at a path of keys and indexes, for assertions on nested JSON. */
function at(v: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((x, k) => (x as Record<string | number, unknown> | undefined)?.[k], v);
}

function mask(path: string, body: unknown, contentType = 'application/json', encoding?: string): { out: Record<string, unknown>; report: MaskReport; api: string | undefined } {
  const report = new MaskReport();
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const r = maskRequestBody(raw, { contentType, contentEncoding: encoding, pathname: path, limit: 1 << 20 }, masker, report);
  if (!r.ok) throw new Error(r.message);
  return { out: JSON.parse(r.body.toString('utf8')) as Record<string, unknown>, report, api: r.api };
}

describe('egress: request bodies masked field by field', () => {
  it('knows the provider APIs by path', () => {
    expect(providerApi('/v1/chat/completions')?.name).to.equal('openai-chat');
    expect(providerApi('/v1/completions')?.name).to.equal('openai-completions');
    expect(providerApi('/openai/deployments/gpt4o/chat/completions')?.rules).to.equal(providerApi('/v1/chat/completions')?.rules);
    expect(providerApi('/openai/v1/responses')?.name).to.equal('openai-responses');
    expect(providerApi('/v1/embeddings')?.name).to.equal('openai-embeddings');
    expect(providerApi('/v1/messages')?.name).to.equal('anthropic-messages');
    expect(providerApi('/v1/models')).to.equal(undefined);
  });

  it('OpenAI chat: contents, tool results and arguments masked; model, tools and ids kept', () => {
    const tools = [{ type: 'function', function: { name: 'send_mail', description: `Mail someone like ${EMAIL}`, parameters: { type: 'object', properties: { to: { type: 'string', format: 'email', examples: [EMAIL] } } } } }];
    const body = {
      model: 'gpt-4o-2024-08-06',
      temperature: 0.2,
      max_tokens: 4111111111111111,
      tools,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { description: EMAIL } } },
      user: EMAIL,
      messages: [
        { role: 'system', content: `You help ${EMAIL}` },
        { role: 'user', content: [{ type: 'text', text: `My card is ${CARD}` }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo4111111111111111' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'send_mail', arguments: JSON.stringify({ to: EMAIL }) } }] },
        { role: 'tool', tool_call_id: 'call_abc', content: `sent to ${EMAIL}` },
      ],
    };
    const { out, report } = mask('/v1/chat/completions', body);
    const text = JSON.stringify(out);
    expect(out.model).to.equal('gpt-4o-2024-08-06');
    expect(out.tools).to.deep.equal(tools);
    expect(out.response_format).to.deep.equal(body.response_format);
    expect(out.max_tokens).to.equal(4111111111111111);
    const m = (...path: Array<string | number>): unknown => at(out.messages, ...path);
    expect(m(0, 'content')).to.match(/^You help \[EMAIL_[0-9a-f]{8}\]$/u);
    expect(m(1, 'content', 0, 'text')).to.match(/^My card is \[CREDIT_CARD_[0-9a-f]{8}\]$/u);
    expect(m(1, 'content', 1, 'image_url', 'url')).to.equal('data:image/png;base64,iVBORw0KGgo4111111111111111');
    expect(m(2, 'tool_calls', 0, 'id')).to.equal('call_abc');
    expect(JSON.parse(m(2, 'tool_calls', 0, 'function', 'arguments') as string).to).to.match(/^\[EMAIL_[0-9a-f]{8}\]$/u);
    expect(m(3, 'tool_call_id')).to.equal('call_abc');
    expect(m(3, 'content')).to.match(/^sent to \[EMAIL_/u);
    expect(out.user).to.match(/^\[EMAIL_/u);
    expect(text.replace(JSON.stringify(tools), '').replace(JSON.stringify(body.response_format), '')).not.to.include(EMAIL);
    expect(report.countsObject()).to.deep.equal({ CREDIT_CARD: 1, EMAIL: 4 });
  });

  it('OpenAI responses and embeddings: input and instructions masked', () => {
    const r = mask('/v1/responses', {
      model: 'gpt-5',
      instructions: `Answer ${EMAIL}`,
      input: [
        { role: 'user', content: [{ type: 'input_text', text: `card ${CARD}` }] },
        { type: 'function_call_output', call_id: 'call_1', output: `ok ${EMAIL}` },
        { type: 'reasoning', id: 'rs_1', encrypted_content: 'gAAAA4111111111111111', summary: [] },
      ],
      text: { format: { type: 'json_schema', name: 's', schema: { description: EMAIL } } },
    }).out;
    expect(JSON.stringify(r.input)).not.to.include(EMAIL).and.not.to.include(CARD);
    expect((r.input as Array<Record<string, unknown>>)[2]!.encrypted_content).to.equal('gAAAA4111111111111111');
    expect(r.instructions).to.match(/^Answer \[EMAIL_/u);
    expect(JSON.stringify(r.text)).to.include(EMAIL);
    const e = mask('/v1/embeddings', { model: 'text-embedding-3-small', input: [`a ${EMAIL}`, 'b'], dimensions: 256 }).out;
    expect(e.input).to.deep.equal([`a ${masker.pseudonym('EMAIL', EMAIL)}`, 'b']);
    expect(e.dimensions).to.equal(256);
  });

  it('Anthropic messages: system, text, tool_use input and tool_result masked; signature and base64 kept', () => {
    const body = {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      system: [{ type: 'text', text: `Customer ${EMAIL}`, cache_control: { type: 'ephemeral' } }],
      tools: [{ name: 'lookup', description: EMAIL, input_schema: { type: 'object' } }],
      metadata: { user_id: EMAIL },
      messages: [
        { role: 'user', content: [{ type: 'text', text: `Card ${CARD}` }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR4111111111111111' } }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: `about ${EMAIL}`, signature: 'EqQBCgIYAhIM4111111111111111' }, { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { email: EMAIL } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: `found ${EMAIL}` }] }] },
      ],
    };
    const { out, report } = mask('/v1/messages', body);
    const m = (...path: Array<string | number>): unknown => at(out.messages, ...path);
    expect(out.tools).to.deep.equal(body.tools);
    expect(at(out.system, 0, 'text')).to.match(/^Customer \[EMAIL_/u);
    expect(m(0, 'content', 1, 'source', 'data')).to.equal('iVBOR4111111111111111');
    expect(m(1, 'content', 0, 'signature')).to.equal('EqQBCgIYAhIM4111111111111111');
    expect(m(1, 'content', 0, 'thinking')).to.match(/^about \[EMAIL_/u);
    expect(m(1, 'content', 1, 'input', 'email')).to.match(/^\[EMAIL_/u);
    expect(m(2, 'content', 0, 'tool_use_id')).to.equal('toolu_1');
    expect(m(2, 'content', 0, 'content', 0, 'text')).to.match(/^found \[EMAIL_/u);
    expect(report.counts.get('EMAIL')).to.equal(5);
  });

  it('a "__proto__" key is kept as an own key and masked, at the top and nested', () => {
    const text = `{"model":"m","__proto__":{"note":"${EMAIL}"},"messages":[{"role":"user","content":"hi","__proto__":"${EMAIL}"}]}`;
    const { out } = mask('/v1/chat/completions', text);
    expect(Object.hasOwn(out, '__proto__')).to.equal(true);
    expect(at(out, '__proto__', 'note')).to.match(/^\[EMAIL_[0-9a-f]{8}\]$/u);
    const message = at(out, 'messages', 0) as object;
    expect(Object.hasOwn(message, '__proto__')).to.equal(true);
    expect(at(message, '__proto__')).to.match(/^\[EMAIL_[0-9a-f]{8}\]$/u);
    expect(JSON.stringify(out)).not.to.include(EMAIL);
  });

  it('other JSON: every string masked, formatting kept', () => {
    const text = '{\n  "note": "call jane.doe@example.com",\n  "n": 1\n}';
    const report = new MaskReport();
    const r = maskRequestBody(Buffer.from(text), { contentType: 'application/json', contentEncoding: undefined, pathname: '/v1/whatever', limit: 1 << 20 }, masker, report);
    expect(r.ok && r.body.toString()).to.match(/^\{\n {2}"note": "call \[EMAIL_[0-9a-f]{8}\]",\n {2}"n": 1\n\}$/u);
  });

  it('text and forms masked; compressed bodies decompressed; unmaskable bodies refused', () => {
    const report = new MaskReport();
    const info = { contentEncoding: undefined, pathname: '/x', limit: 1 << 20 };
    const t = maskRequestBody(Buffer.from(`hi ${EMAIL}`), { ...info, contentType: 'text/plain' }, masker, report);
    expect(t.ok && t.body.toString()).to.match(/^hi \[EMAIL_/u);
    const f = maskRequestBody(Buffer.from(`q=${encodeURIComponent(EMAIL)}&n=1`), { ...info, contentType: 'application/x-www-form-urlencoded' }, masker, report);
    expect(f.ok && new URLSearchParams(f.body.toString()).get('q')).to.match(/^\[EMAIL_/u);
    const { out } = mask('/v1/chat/completions', gzipSync(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: EMAIL }] })), 'application/json', 'gzip');
    expect(JSON.stringify(out)).not.to.include(EMAIL);
    const m = maskRequestBody(Buffer.from('--b\r\n\r\nx'), { ...info, contentType: 'multipart/form-data; boundary=b' }, masker, report);
    expect(m.ok ? 0 : m.status).to.equal(415);
    const z = maskRequestBody(Buffer.from('x'), { ...info, contentType: 'text/plain', contentEncoding: 'compress' }, masker, report);
    expect(z.ok ? 0 : z.status).to.equal(415);
    const big = maskRequestBody(gzipSync(Buffer.alloc(4096, 'a')), { ...info, contentType: 'text/plain', contentEncoding: 'gzip', limit: 1024 }, masker, report);
    expect(big.ok ? 0 : big.status).to.equal(413);
  });
});
