import { expect } from 'chai';
import { Readable } from 'node:stream';
import { createSseTransform, serializeEvent, SseEventTooLargeError, SseParser, type SseEvent } from '../../sidecar/sse/index.ts';

function parseAll(chunks: readonly (string | Uint8Array)[], options = {}): { events: SseEvent[]; pending: SseEvent | undefined } {
  const p = new SseParser(options);
  const events = chunks.flatMap((c) => p.push(c));
  return { events, pending: p.end() };
}

describe('SSE parser', () => {
  it('parses events with every field, multi-line data and comments', () => {
    const { events } = parseAll([': keep-alive\n\nevent: message\nid: 42\nretry: 3000\ndata: line 1\ndata:line 2\ndata:  two spaces\n\n']);
    expect(events).to.deep.equal([
      { comments: ['keep-alive'] },
      { id: '42', event: 'message', data: 'line 1\nline 2\n two spaces', retry: 3000, comments: [] },
    ]);
  });

  it('accepts LF, CRLF and CR line ends, mixed', () => {
    const { events } = parseAll(['data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n']);
    expect(events.map((e) => e.data)).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('handles a CRLF split across chunks without an extra line', () => {
    const { events } = parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    expect(events).to.deep.equal([{ data: 'a\nb', comments: [] }]);
  });

  it('gives the same events however the bytes are split, even inside UTF-8 sequences', () => {
    const text = '\ufeffid: 1\ndata: {"msg":"héllo wörld 📞"}\r\n\r\n: ping\n\nevent: x\ndata:\n\n';
    const bytes = Buffer.from(text, 'utf8');
    const whole = parseAll([bytes]).events;
    expect(whole).to.deep.equal([
      { id: '1', data: '{"msg":"héllo wörld 📞"}', comments: [] },
      { comments: ['ping'] },
      { event: 'x', data: '', comments: [] },
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(parseAll([bytes.subarray(0, cut), bytes.subarray(cut)]).events, `cut at ${cut}`).to.deep.equal(whole);
    }
    expect(parseAll([...bytes].map((b) => Uint8Array.of(b))).events).to.deep.equal(whole);
  });

  it('drops a leading BOM only once, at the start', () => {
    expect(parseAll(['\ufeffdata: a\n\n']).events[0]!.data).to.equal('a');
    expect(parseAll(['data: a\n\n', '\ufeffdata: b\n\n']).events[1]).to.deep.equal({ comments: [] });
  });

  it('follows the spec on odd fields: retry only when digits, ids with NUL ignored, unknown fields dropped', () => {
    const { events } = parseAll(['retry: soon\nid: a\u0000b\nfoo: bar\ndata\n\n']);
    expect(events).to.deep.equal([{ data: '', comments: [] }]);
  });

  it('returns, without dispatching, an event the stream ended in', () => {
    const { events, pending } = parseAll(['data: done\n\ndata: half']);
    expect(events).to.have.length(1);
    expect(pending).to.deep.equal({ data: 'half', comments: [] });
  });

  it('refuses an event larger than the limit, even one whose line never ends', () => {
    expect(() => parseAll([`data: ${'x'.repeat(100)}\n\n`], { maxEventSize: 50 })).to.throw(SseEventTooLargeError);
    const p = new SseParser({ maxEventSize: 1000 });
    expect(() => {
      for (let i = 0; i < 100; i++) p.push('x'.repeat(100));
    }).to.throw(SseEventTooLargeError);
  });

  it('serializes events back to text that parses to the same events', () => {
    const events: SseEvent[] = [
      { id: '7', event: 'message', data: '{"a":1}\nsecond line\r\nthird', retry: 10, comments: ['c1', 'multi\nline'] },
      { data: '', comments: [] },
      { comments: ['keep-alive'] },
      { id: '', comments: [] },
    ];
    const text = events.map(serializeEvent).join('');
    expect(parseAll([text]).events).to.deep.equal([
      { id: '7', event: 'message', data: '{"a":1}\nsecond line\nthird', retry: 10, comments: ['c1', 'multi', 'line'] },
      { data: '', comments: [] },
      { comments: ['keep-alive'] },
      { id: '', comments: [] },
    ]);
    expect(() => serializeEvent({ id: 'a\nb' })).to.throw(TypeError);
    expect(serializeEvent({})).to.equal(':\n\n');
  });

  it('maps a stream event by event in a Transform', async () => {
    const t = createSseTransform((ev) => (ev.data === 'drop' ? null : { ...ev, data: ev.data?.toUpperCase() }));
    const out: string[] = [];
    t.on('data', (c: Buffer) => out.push(c.toString()));
    await new Promise<void>((resolve, reject) => {
      Readable.from(['data: a\n\ndata: dr', 'op\n\n: c\n\n']).pipe(t).on('finish', resolve).on('error', reject);
    });
    expect(out.join('')).to.equal('data: A\n\n: c\n\n');
  });

  it('writes the end hook’s events last and drops an unfinished event', async () => {
    const t = createSseTransform((ev) => ev, { end: () => [{ data: 'bye' }] });
    const out: string[] = [];
    t.on('data', (c: Buffer) => out.push(c.toString()));
    await new Promise<void>((resolve, reject) => {
      Readable.from(['data: a\n\ndata: unfinished']).pipe(t).on('finish', resolve).on('error', reject);
    });
    expect(out.join('')).to.equal('data: a\n\ndata: bye\n\n');
  });
});
