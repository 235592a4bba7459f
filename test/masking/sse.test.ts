import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { createSseMasker } from '../../sidecar/masking/sse.ts';
import type { MaskReport } from '../../sidecar/masking/engine.ts';
import { SseParser } from '../../sidecar/sse/parser.ts';
import { redactor } from './helpers.ts';

async function run(chunks: readonly (string | Buffer)[]): Promise<{ text: string; counts: Record<string, number>[] }> {
  const counts: Record<string, number>[] = [];
  const t = createSseMasker(redactor(), { onEvent: (r: MaskReport) => counts.push(r.countsObject()) });
  const out: Buffer[] = [];
  t.on('data', (c: Buffer) => out.push(Buffer.from(c)));
  for (const c of chunks) t.write(c);
  t.end();
  await once(t, 'end');
  return { text: Buffer.concat(out).toString('utf8'), counts };
}

const message = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: JSON.stringify({ email: 'jane.doe@example.com', phone: '+44 20 7946 0958', note: 'héllo' }) }] } });
const stream = `: ping\n\nid: 17\nevent: message\ndata: ${message}\n\n`;

describe('SSE masking', () => {
  it('masks each event’s data as JSON and keeps ids, event types and comments', async () => {
    const { text, counts } = await run([stream]);
    const events = new SseParser().push(text);
    expect(events[0]).to.deep.equal({ comments: ['ping'] });
    expect(events[1]).to.include({ id: '17', event: 'message' });
    const inner = JSON.parse((JSON.parse(events[1]!.data!) as { result: { content: { text: string }[] } }).result.content[0]!.text) as unknown;
    expect(inner).to.deep.equal({ email: '[EMAIL]', phone: '[PHONE]', note: 'héllo' });
    expect(counts).to.deep.equal([{}, { EMAIL: 1, PHONE: 1 }]);
  });

  it('finds values split across chunks at every byte boundary', async () => {
    const bytes = Buffer.from(stream, 'utf8');
    const whole = (await run([bytes])).text;
    expect(whole).to.not.include('jane.doe@example.com');
    for (let cut = 1; cut < bytes.length; cut++) {
      const { text } = await run([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(text, `cut at byte ${cut}`).to.equal(whole);
    }
  });

  it('handles several events in one chunk and text data', async () => {
    const { text } = await run(['data: mail jane@example.com\n\ndata: {"a":"10.0.0.1"}\n\ndata: [1,2]\n\n']);
    expect(text).to.equal('data: mail [EMAIL]\n\ndata: {"a":"[IP_ADDRESS]"}\n\ndata: [1,2]\n\n');
  });

  it('masks comments too', async () => {
    expect((await run([': debug jane@example.com\n\n'])).text).to.equal(': debug [EMAIL]\n\n');
  });

  it('writes each event as soon as it is complete, before the stream ends', async () => {
    const input = new PassThrough();
    const t = createSseMasker(redactor());
    input.pipe(t);
    const got: string[] = [];
    t.on('data', (c: Buffer) => got.push(c.toString()));
    input.write('data: first jane@example.com\n\n');
    input.write('data: second, still open');
    await new Promise((r) => setImmediate(r));
    expect(got.join('')).to.equal('data: first [EMAIL]\n\n');
    input.end('\n\n');
    await once(t, 'end');
    expect(got.join('')).to.equal('data: first [EMAIL]\n\ndata: second, still open\n\n');
  });
});
