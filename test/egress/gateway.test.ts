// The egress gateway end to end: a real port, a real policy, real masking, fake providers over
// TLS with a test CA. What the provider receives is masked and carries the held credential;
// what the application gets back is what the model would have said about the real values.
import { expect } from 'chai';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastUserText } from './support/fake-provider.ts';
import { ANTHROPIC_KEY, OPENAI_KEY, request, sseData, startHarness, type Harness } from './support/harness.ts';

const EMAIL = 'jane.doe@example.com';
const CARD = '4111 1111 1111 1111';
const PHONE = '+44 20 7946 0958';
const PROMPT = `Contact ${EMAIL} or ${PHONE}; card ${CARD}. Thanks!`;

function chat(stream: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gpt-4o', stream, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: PROMPT }], ...extra };
}

function expectNoRawValues(text: string): void {
  for (const raw of [EMAIL, CARD, PHONE, '4111111111111111']) expect(text, `raw ${raw} reached the provider`).not.to.include(raw);
}

describe('egress gateway: named routes, masking, restoration', function () {
  this.timeout(30_000);
  let h: Harness;

  before(async () => {
    h = await startHarness({ limits: { secretCacheMs: 100, responseTimeoutMs: 1_500, idleTimeoutMs: 1_500 } });
  });
  after(async () => h.close());
  beforeEach(() => {
    for (const p of [h.openai, h.anthropic, h.us]) p.reset();
    h.openai.chunk = 3;
    h.anthropic.chunk = 3;
  });

  it('OpenAI chat (JSON): masked out, credential swapped, answer restored, call recorded', async () => {
    const res = await request(h, 'POST', '/openai/v1/chat/completions?trace=1', chat(false), {
      authorization: 'Bearer app-own-key',
      'api-key': 'app-azure-key',
      cookie: 'session=1',
      'x-forwarded-for': '10.1.2.3',
      'openai-organization': 'org-1',
      // Issue 19: headers the application adds are a channel too: allow-list, values masked.
      'x-user-email': 'jane.doe@example.com',
      'openai-project': 'proj for jane.doe@example.com',
    });
    expect(res.status).to.equal(200);
    expect((res.json().choices as Array<{ message: { content: string } }>)[0]!.message.content).to.equal(`Echo: ${PROMPT}`);
    expect(h.openai.received).to.have.length(1);
    const got = h.openai.received[0]!;
    expect(got.url).to.equal('/v1/chat/completions?trace=1');
    expect(got.headers.authorization).to.equal(`Bearer ${OPENAI_KEY}`);
    expect(got.headers).not.to.have.property('api-key');
    expect(got.headers).not.to.have.property('cookie');
    expect(got.headers).not.to.have.property('x-forwarded-for');
    expect(got.headers['openai-organization']).to.equal('org-1');
    expect(got.headers).not.to.have.property('x-user-email');
    expect(got.headers['openai-project']).to.match(/^proj for \[EMAIL_[0-9a-f]{8}\]$/u);
    expect(got.headers.host).to.equal(`api.openai.example:${h.openai.port}`);
    expectNoRawValues(got.body);
    const sent = JSON.parse(got.body) as { model: string; messages: Array<{ content: string }> };
    expect(sent.model).to.equal('gpt-4o');
    expect(sent.messages[1]!.content).to.match(/^Contact \[EMAIL_[0-9a-f]{8}\] or \[PHONE_[0-9a-f]{8}\]; card \[CREDIT_CARD_[0-9a-f]{8}\]\. Thanks!$/u);
    const entry = h.audit.last();
    expect(entry).to.deep.include({
      kind: 'egress',
      decision: 'allow',
      method: 'POST',
      upstream: 'openai',
      destination: `api.openai.example:${h.openai.port}`,
      region: 'westeurope',
      tunnel: false,
      status: 200,
      masked: { CREDIT_CARD: 1, EMAIL: 1, PHONE: 1 },
      principal: { sub: 'workload' },
      policy: { name: 'egress-test', generation: 3 },
    });
    expect(entry.durationMs).to.be.a('number');
    expect(entry.payload?.api).to.equal('openai-chat');
    expect(entry.payload?.request).to.deep.equal(sent);
    expectNoRawValues(JSON.stringify(entry));
  });

  it('OpenAI chat (streamed): deltas that split tokens come back restored, event by event', async () => {
    for (const chunk of [1, 3, 7]) {
      h.openai.chunk = chunk;
      const res = await request(h, 'POST', '/openai/v1/chat/completions', chat(true));
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.equal('text/event-stream');
      const events = sseData(res.text);
      expect(events.at(-1)!.data).to.equal('[DONE]');
      const text = events
        .filter((e) => e.json !== undefined)
        .map((e) => (e.json!.choices as Array<{ delta: { content?: string } }>)[0]!.delta.content ?? '')
        .join('');
      expect(text, `chunk ${chunk}`).to.equal(`Echo: ${PROMPT}`);
      expectNoRawValues(h.openai.everything());
    }
  });

  it('OpenAI chat (streamed tool call): arguments restored as valid JSON', async () => {
    const res = await request(h, 'POST', '/openai/v1/chat/completions', chat(true, { tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }] }));
    const args = sseData(res.text)
      .filter((e) => e.json !== undefined)
      .map((e) => (e.json!.choices as Array<{ delta: { tool_calls?: Array<{ function: { arguments: string } }> } }>)[0]!.delta.tool_calls?.[0]!.function.arguments ?? '')
      .join('');
    expect(JSON.parse(args)).to.deep.equal({ echo: PROMPT });
  });

  it('OpenAI chat (JSON tool call): arguments restored, still valid JSON', async () => {
    const res = await request(h, 'POST', '/openai/v1/chat/completions', chat(false, { tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }] }));
    const call = (res.json().choices as Array<{ message: { tool_calls: Array<{ function: { arguments: string } }> } }>)[0]!.message.tool_calls[0]!;
    expect(JSON.parse(call.function.arguments)).to.deep.equal({ echo: PROMPT });
  });

  it('OpenAI responses (streamed) and embeddings', async () => {
    const res = await request(h, 'POST', '/openai/v1/responses', { model: 'gpt-5', stream: true, input: PROMPT });
    const events = sseData(res.text);
    const deltas = events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.json!.delta as string);
    expect(deltas.join('')).to.equal(`Echo: ${PROMPT}`);
    expect(events.find((e) => e.event === 'response.output_text.done')!.json!.text).to.equal(`Echo: ${PROMPT}`);
    expect(JSON.stringify(events.find((e) => e.event === 'response.completed')!.json)).to.include(EMAIL);
    const emb = await request(h, 'POST', '/openai/v1/embeddings', { model: 'text-embedding-3-small', input: [PROMPT, 'plain'] });
    expect(emb.status).to.equal(200);
    expectNoRawValues(h.openai.everything());
    expect(JSON.parse(h.openai.received.at(-1)!.body).input[1]).to.equal('plain');
  });

  it('Anthropic messages (streamed and not), through an upstream trusted by its caSecret', async () => {
    const body = { model: 'claude-sonnet-4-5', max_tokens: 100, system: `Customer is ${EMAIL}`, messages: [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }] };
    const streamed = await request(h, 'POST', '/anthropic/v1/messages', { ...body, stream: true }, { 'x-api-key': 'app-key', 'anthropic-version': '2023-06-01' });
    expect(streamed.status).to.equal(200);
    const events = sseData(streamed.text);
    const text = events.filter((e) => e.event === 'content_block_delta').map((e) => (e.json!.delta as { text: string }).text).join('');
    expect(text).to.equal(`Echo: ${PROMPT}`);
    expect(events.at(-1)!.event).to.equal('message_stop');
    const plain = await request(h, 'POST', '/anthropic/v1/messages', body, { 'anthropic-version': '2023-06-01' });
    expect((plain.json().content as Array<{ text: string }>)[0]!.text).to.equal(`Echo: ${PROMPT}`);
    for (const got of h.anthropic.received) {
      expect(got.headers['x-api-key']).to.equal(ANTHROPIC_KEY);
      expect(got.headers['anthropic-version']).to.equal('2023-06-01');
      expect(got.headers).not.to.have.property('authorization');
    }
    expectNoRawValues(h.anthropic.everything());
    expect(lastUserText(JSON.parse(h.anthropic.received[0]!.body).messages)).to.match(/\[EMAIL_[0-9a-f]{8}\]/u);
  });

  it('text bodies are masked as text and restored as they stream back', async () => {
    const res = await request(h, 'POST', '/openai/v1/text', PROMPT);
    expect(res.text).to.equal(`Echo: ${PROMPT}`);
    expectNoRawValues(h.openai.everything());
  });

  it('an upstream without the CA is not trusted: 502 naming the TLS failure, nothing sent in clear', async () => {
    const res = await request(h, 'POST', '/untrusted/v1/chat/completions', chat(false));
    expect(res.status).to.equal(502);
    expect((res.json().error as { message: string }).message).to.match(/TLS .* failed/u);
    expect(h.anthropic.received).to.have.length(0);
    expect(h.audit.last()).to.deep.include({ decision: 'error', upstream: 'untrusted', status: 502 });
  });

  it('forward proxy: an absolute http:// URI to an upstream host is its named route (masked, credentialed)', async () => {
    const res = await request(h, 'POST', `http://api.openai.example:${h.openai.port}/v1/chat/completions`, chat(false), { authorization: 'Bearer app-key' });
    expect(res.status).to.equal(200);
    expect((res.json().choices as Array<{ message: { content: string } }>)[0]!.message.content).to.equal(`Echo: ${PROMPT}`);
    expect(h.openai.received[0]!.headers.authorization).to.equal(`Bearer ${OPENAI_KEY}`);
    expectNoRawValues(h.openai.everything());
    expect(h.audit.last()).to.deep.include({ decision: 'allow', upstream: 'openai', tunnel: false });
  });

  it('an IP-literal upstream URL reaches its address on purpose, base path kept', async () => {
    const res = await request(h, 'POST', '/local/chat/completions', chat(false));
    expect(res.status).to.equal(200);
    expect(h.openai.received[0]!.url).to.equal('/v1/chat/completions');
  });

  it('the credential is read from its Secret and follows a rotation', async () => {
    const file = join(h.secretsDir, 'openai-key', 'api-key');
    writeFileSync(file, 'sk-rotated-credential-2\n');
    try {
      await new Promise((r) => setTimeout(r, 150));
      await request(h, 'POST', '/openai/v1/chat/completions', chat(false));
      expect(h.openai.received[0]!.headers.authorization).to.equal('Bearer sk-rotated-credential-2');
    } finally {
      writeFileSync(file, `${OPENAI_KEY}\n`);
      await new Promise((r) => setTimeout(r, 150));
    }
  });

  it('a provider echoing the credential in an error: the application sees [CREDENTIAL]', async () => {
    h.openai.routes.set('/v1/chat/completions', (req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${String(req.headers.authorization)}` } }));
    });
    const res = await request(h, 'POST', '/openai/v1/chat/completions', chat(false));
    expect(res.status).to.equal(401);
    expect(res.text).not.to.include(OPENAI_KEY);
    expect(res.text).to.include('Bearer [CREDENTIAL]');
  });

  it('a missing credential Secret: 502 naming the Secret, nothing sent', async () => {
    const file = join(h.secretsDir, 'anthropic-key', 'key');
    writeFileSync(file, '');
    try {
      await new Promise((r) => setTimeout(r, 150));
      const res = await request(h, 'POST', '/anthropic/v1/messages', { model: 'm', messages: [] });
      expect(res.status).to.equal(502);
      expect((res.json().error as { message: string }).message).to.include('anthropic-key/key');
      expect(h.anthropic.tcpConnections).to.equal(0);
    } finally {
      writeFileSync(file, ANTHROPIC_KEY);
      await new Promise((r) => setTimeout(r, 150));
    }
  });

  it('redirects are passed to the application, not followed; one under the upstream stays on the route', async () => {
    h.openai.routes.set('/v1/elsewhere', (_req, res) => {
      res.writeHead(302, { location: `https://api.us.example:${h.us.port}/v1/chat/completions` });
      res.end();
    });
    h.openai.routes.set('/v1/moved', (_req, res) => {
      res.writeHead(307, { location: `https://api.openai.example:${h.openai.port}/v1/chat/completions?x=1` });
      res.end();
    });
    const away = await request(h, 'POST', '/openai/v1/elsewhere', chat(false));
    expect(away.status).to.equal(302);
    expect(away.headers.location).to.equal(`https://api.us.example:${h.us.port}/v1/chat/completions`);
    expect(h.us.tcpConnections).to.equal(0);
    // The application follows it through the proxy: the same checks refuse it.
    const follow = await request(h, 'POST', `http://api.us.example:${h.us.port}/v1/chat/completions`, chat(false));
    expect(follow.status).to.equal(403);
    expect(follow.json().error).to.deep.include({ region: 'eastus', upstream: 'azure-us' });
    expect(h.us.tcpConnections).to.equal(0);
    const moved = await request(h, 'POST', '/openai/v1/moved', chat(false));
    expect(moved.status).to.equal(307);
    expect(moved.headers.location).to.equal('/openai/v1/chat/completions?x=1');
  });

  it('an upstream that does not answer in time: 504 with a clear message', async () => {
    h.openai.routes.set('/v1/slow', () => {
      // never answers
    });
    const res = await request(h, 'POST', '/openai/v1/slow', chat(false));
    expect(res.status).to.equal(504);
    expect((res.json().error as { message: string }).message).to.match(/did not answer within 1\.5s/u);
    expect(h.audit.last()).to.deep.include({ decision: 'error', status: 504 });
  });

  it('a stream that stalls ends with an error event', async () => {
    h.openai.routes.set('/v1/stall', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n');
    });
    const res = await request(h, 'POST', '/openai/v1/stall', chat(true));
    const events = sseData(res.text);
    expect(events.at(-1)!.event).to.equal('error');
    expect(events.at(-1)!.data).to.include('sent nothing for 1.5s');
  });

  it('the application disconnecting cancels the upstream request', async () => {
    let upstreamClosed = false;
    h.openai.routes.set('/v1/long', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write('data: {"choices":[{"index":0,"delta":{"content":"tick"}}]}\n\n'), 20);
      res.on('close', () => {
        upstreamClosed = true;
        clearInterval(timer);
      });
    });
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: h.port, method: 'POST', path: '/openai/v1/long', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.end(JSON.stringify(chat(true)));
      setTimeout(() => reject(new Error('no data')), 5_000);
    });
    for (let i = 0; i < 50 && !upstreamClosed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(upstreamClosed).to.equal(true);
  });

  it('body size limit: 413 and nothing sent', async () => {
    const res = await request(h, 'POST', '/openai/v1/chat/completions', 'x'.repeat(40 * 1024 * 1024));
    expect(res.status).to.equal(413);
    expect(h.openai.tcpConnections).to.equal(0);
  });

  it('metrics count decisions, masked values and durations', async () => {
    await request(h, 'POST', '/openai/v1/chat/completions', chat(false));
    const text = await h.metrics.registry.metrics();
    expect(text).to.match(/mcp_residency_requests_total\{kind="egress",decision="allow"\} \d+/u);
    expect(text).to.match(/mcp_residency_masked_total\{type="EMAIL"\} \d+/u);
    expect(text).to.match(/mcp_residency_request_duration_seconds_count\{kind="egress"\} \d+/u);
  });

  it('the credentials never appear in logs or audit records', () => {
    const everything = h.logs() + JSON.stringify(h.audit.entries);
    expect(h.audit.entries.length).to.be.greaterThan(10);
    expect(everything).not.to.include(OPENAI_KEY);
    expect(everything).not.to.include(ANTHROPIC_KEY);
    expect(everything).not.to.include('sk-rotated-credential-2');
  });
});

describe('egress gateway: redact mode', function () {
  this.timeout(30_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ mode: 'redact', payloads: 'metadata' });
  });
  after(async () => h.close());

  it('masks with [TYPE] tokens and leaves the answer as the provider wrote it', async () => {
    const res = await request(h, 'POST', '/openai/v1/chat/completions', chat(true));
    const text = sseData(res.text)
      .filter((e) => e.json !== undefined)
      .map((e) => (e.json!.choices as Array<{ delta: { content?: string } }>)[0]!.delta.content ?? '')
      .join('');
    expect(text).to.equal('Echo: Contact [EMAIL] or [PHONE]; card [CREDIT_CARD]. Thanks!');
    expectNoRawValues(h.openai.everything());
    expect(h.audit.last()).not.to.have.property('payload');
  });
});
