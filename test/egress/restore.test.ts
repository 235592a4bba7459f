import { expect } from 'chai';
import { ChannelRestorer, holdbackIndex, restoreJsonValue, restoreText, TokenMap } from '../../sidecar/egress/restore.ts';
import { restoreStream } from '../../sidecar/egress/restore-stream.ts';
import { SseRestorer } from '../../sidecar/egress/sse-restore.ts';
import type { SseEvent } from '../../sidecar/sse/index.ts';

const map = new TokenMap(
  new Map([
    ['[EMAIL_3fa9c2d1]', 'jane.doe@example.com'],
    ['[PHONE_0011aabb]', '+44 20 7946 0958'],
    ['[SECRET_deadbeef]', 'pa"ss\\word'],
  ]),
);

/** Feeds `text` to a restorer in pieces of `size` and joins what comes out. */
function streamed(text: string, size: number, escape: 'none' | 'json' = 'none'): string {
  const r = new ChannelRestorer(map, escape);
  let out = '';
  for (let i = 0; i < text.length; i += size) out += r.push(text.slice(i, i + size));
  return out + r.flush();
}

describe('egress: restoration of tokens', () => {
  it('replaces whole tokens of the map, and only those', () => {
    expect(restoreText('mail [EMAIL_3fa9c2d1] now', map, 'none')).to.equal('mail jane.doe@example.com now');
    expect(restoreText('[EMAIL_ffffffff] and [EMAIL]', map, 'none')).to.equal('[EMAIL_ffffffff] and [EMAIL]');
    expect(restoreText('[[EMAIL_3fa9c2d1]]', map, 'none')).to.equal('[jane.doe@example.com]');
    expect(restoreText('no tokens', map, 'none')).to.equal('no tokens');
  });

  it('escapes originals for JSON where asked', () => {
    expect(restoreText('"[SECRET_deadbeef]"', map, 'json')).to.equal('"pa\\"ss\\\\word"');
    expect(JSON.parse(restoreText('{"k":"[SECRET_deadbeef]"}', map, 'json'))).to.deep.equal({ k: 'pa"ss\\word' });
  });

  it('holds back only what can still become a token', () => {
    expect(holdbackIndex('hello [EMA', map)).to.equal(6);
    expect(holdbackIndex('hello [EMAIL_3fa9', map)).to.equal(6);
    expect(holdbackIndex('hello [X', map)).to.equal(8);
    expect(holdbackIndex('array[0', map)).to.equal(7);
    expect(holdbackIndex('ends with [', map)).to.equal(10);
  });

  it('restores tokens split anywhere, at every piece size', () => {
    const text = 'Write to [EMAIL_3fa9c2d1] or call [PHONE_0011aabb]; [EMAIL_3f is not one. [x] [';
    const want = 'Write to jane.doe@example.com or call +44 20 7946 0958; [EMAIL_3f is not one. [x] [';
    for (let size = 1; size <= text.length; size++) expect(streamed(text, size), `size ${size}`).to.equal(want);
  });

  it('restores JSON values structurally, escaping inside JSON-in-strings', () => {
    const v = { content: 'hi [EMAIL_3fa9c2d1]', args: '{"p":"[SECRET_deadbeef]"}', n: 1 };
    const r = restoreJsonValue(v, map);
    expect(r.changed).to.equal(true);
    expect(v.content).to.equal('hi jane.doe@example.com');
    expect(JSON.parse(v.args)).to.deep.equal({ p: 'pa"ss\\word' });
  });
});

function ev(data: unknown, event?: string): SseEvent {
  return { ...(event !== undefined ? { event } : {}), data: typeof data === 'string' ? data : JSON.stringify(data), comments: [] };
}

/** Runs events through a restorer and joins the text of one kind of delta. */
function run(events: SseEvent[]): SseEvent[] {
  const r = new SseRestorer(map);
  const out: SseEvent[] = [];
  for (const e of events) out.push(...r.process(e));
  out.push(...r.end());
  return out;
}

function pieces(text: string, size: number): string[] {
  return text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'gu')) ?? [];
}

describe('egress: restoration of event streams', () => {
  const masked = 'Mail [EMAIL_3fa9c2d1], phone [PHONE_0011aabb].';
  const real = 'Mail jane.doe@example.com, phone +44 20 7946 0958.';

  it('OpenAI chat chunks: deltas that split tokens, finish chunk carries held text', () => {
    for (const size of [1, 2, 5, 7, 13]) {
      const base = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
      const events = [
        ...pieces(masked + ' [EMAIL_3f', size).map((p) => ev({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })),
        ev({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
        ev('[DONE]'),
      ];
      const out = run(events);
      const text = out
        .filter((e) => e.data !== '[DONE]')
        .map((e) => (JSON.parse(e.data!) as { choices: Array<{ delta: { content?: string } }> }).choices[0]!.delta.content ?? '')
        .join('');
      expect(text, `size ${size}`).to.equal(`${real} [EMAIL_3f`);
      expect(out.at(-1)!.data).to.equal('[DONE]');
      expect(out.length).to.equal(events.length);
    }
  });

  it('OpenAI chat tool-call arguments are restored as JSON text', () => {
    const base = { object: 'chat.completion.chunk' };
    const args = JSON.stringify({ secret: '[SECRET_deadbeef]', email: '[EMAIL_3fa9c2d1]' });
    const out = run([
      ...pieces(args, 4).map((p) => ev({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: p } }] }, finish_reason: null }] })),
      ev({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }),
    ]);
    const joined = out
      .map((e) => (JSON.parse(e.data!) as { choices: Array<{ delta: { tool_calls?: Array<{ function: { arguments: string } }> } }> }).choices[0]!.delta.tool_calls?.[0]?.function.arguments ?? '')
      .join('');
    expect(JSON.parse(joined)).to.deep.equal({ secret: 'pa"ss\\word', email: 'jane.doe@example.com' });
  });

  it('Anthropic content_block_delta: held text goes out before content_block_stop', () => {
    const out = run([
      ev({ type: 'message_start', message: { content: [] } }, 'message_start'),
      ...pieces(`${masked} [PHONE_00`, 3).map((p) => ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }, 'content_block_delta')),
      ev({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
      ev({ type: 'message_stop' }, 'message_stop'),
    ]);
    const deltas = out.filter((e) => e.event === 'content_block_delta');
    expect(deltas.map((e) => (JSON.parse(e.data!) as { delta: { text: string } }).delta.text).join('')).to.equal(`${real} [PHONE_00`);
    const stop = out.findIndex((e) => e.event === 'content_block_stop');
    expect(out.slice(stop).some((e) => e.event === 'content_block_delta')).to.equal(false);
  });

  it('Responses API: output_text deltas restored, done events restored whole', () => {
    const ids = { item_id: 'msg_1', output_index: 0, content_index: 0 };
    const out = run([
      ...pieces(masked, 4).map((p, i) => ev({ type: 'response.output_text.delta', sequence_number: i, ...ids, delta: p }, 'response.output_text.delta')),
      ev({ type: 'response.output_text.done', ...ids, text: masked }, 'response.output_text.done'),
    ]);
    const deltas = out.filter((e) => e.event === 'response.output_text.delta').map((e) => (JSON.parse(e.data!) as { delta: string }).delta);
    expect(deltas.join('')).to.equal(real);
    expect((JSON.parse(out.at(-1)!.data!) as { text: string }).text).to.equal(real);
  });

  it('passes events without tokens through unchanged, comments and ids included', () => {
    const e: SseEvent = { id: '7', event: 'x', data: '{"a": "b"}', comments: ['keep-alive'] };
    expect(run([e])).to.deep.equal([e]);
  });
});

describe('egress: restoration streams', () => {
  async function through(format: 'json' | 'text' | 'sse', input: Buffer, size: number): Promise<string> {
    const t = restoreStream(format, map, 1 << 20);
    const out: Buffer[] = [];
    t.on('data', (c: Buffer) => out.push(c));
    const done = new Promise((resolve) => t.on('end', resolve));
    for (let i = 0; i < input.length; i += size) t.write(input.subarray(i, i + size));
    t.end();
    await done;
    return Buffer.concat(out).toString('utf8');
  }

  it('JSON bodies: byte-split anywhere (also inside UTF-8 characters), originals JSON-escaped', async () => {
    const body = Buffer.from(JSON.stringify({ text: 'Grüße an [EMAIL_3fa9c2d1] — [SECRET_deadbeef] ✓' }));
    for (const size of [1, 2, 3, 5, 64]) {
      expect(JSON.parse(await through('json', body, size)), `size ${size}`).to.deep.equal({ text: 'Grüße an jane.doe@example.com — pa"ss\\word ✓' });
    }
  });

  it('event streams: byte-split anywhere, a token split across two events restored', async () => {
    const chunk = (content: string): string => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const input = Buffer.from(`: keep-alive\n\n${chunk('Hi [EMAIL_3f')}${chunk('a9c2d1]!')}data: [DONE]\n\n`);
    for (const size of [1, 7, 1000]) {
      const out = await through('sse', input, size);
      const text = out
        .split('\n')
        .filter((l) => l.startsWith('data: {'))
        .map((l) => (JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content: string } }> }).choices[0]!.delta.content)
        .join('');
      expect(text, `size ${size}`).to.equal('Hi jane.doe@example.com!');
      expect(out.startsWith(': keep-alive\n\n')).to.equal(true);
      expect(out.endsWith('data: [DONE]\n\n')).to.equal(true);
    }
  });
});
