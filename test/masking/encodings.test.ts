// Issue 19, encodings and splits: values behind percent-encoding or HTML references, cards
// after other numbers or with other separators, negative JSON numbers, and values split across
// adjacent text items of one message.
import { expect } from 'chai';
import { MaskReport } from '../../sidecar/masking/engine.ts';
import { protectServerMessage } from '../../sidecar/inbound/messages.ts';
import { ToolPolicy } from '../../sidecar/inbound/tool-policy.ts';
import { redactor } from './helpers.ts';

describe('masking: encodings, neighbours and splits', () => {
  const masker = redactor();
  const cases: [string, string][] = [
    ['jane.doe%40example.com', '[EMAIL]'],
    ['mail jane.doe%40example.com now', 'mail [EMAIL] now'],
    ['jane.doe&#64;example.com', '[EMAIL]'],
    ['jane.doe&#x40;example.com', '[EMAIL]'],
    ['jane.doe&commat;example.com', '[EMAIL]'],
    ['card 4111%201111%201111%201111', 'card [CREDIT_CARD]'],
    ['order 10023 4111 1111 1111 1111', 'order 10023 [CREDIT_CARD]'],
    ['+14155552671 4111 1111 1111 1111', '+14155552671 [CREDIT_CARD]'],
    ['4111.1111.1111.1111', '[CREDIT_CARD]'],
    ['4111_1111_1111_1111', '[CREDIT_CARD]'],
    ['4111/1111/1111/1111', '[CREDIT_CARD]'],
    // Not cards: Luhn fails, and a plain escaped text stays as it was.
    ['order 10023 4111 1111 1111 1112', 'order 10023 4111 1111 1111 1112'],
    ['a &lt; b &amp; 50%25 off', 'a &lt; b &amp; 50%25 off'],
  ];
  for (const [text, masked] of cases) {
    it(`masks ${JSON.stringify(text)} as ${JSON.stringify(masked)}`, () => {
      expect(masker.maskText(text)).to.equal(masked);
    });
  }

  it('finds a card written as a negative JSON number, in values and in JSON text', () => {
    expect(masker.maskJson({ card: -4111111111111111 })).to.deep.equal({ card: '[CREDIT_CARD]' });
    expect(masker.maskJsonText('{"card": -4111111111111111}')).to.equal('{"card": "[CREDIT_CARD]"}');
  });

  it('masks a value split across adjacent text items of one result', () => {
    const engines = { masker, tools: new ToolPolicy({ default: 'allow', rules: [], pinning: 'off', pins: [] }) };
    const message = {
      jsonrpc: '2.0' as const,
      id: 1,
      result: { content: [{ type: 'text', text: 'write to jane.doe@exa' }, { type: 'text', text: 'mple.com or call' }, { type: 'text', text: ' 4111 1111 ' }, { type: 'text', text: '1111 1111 today' }] },
    };
    const report = new MaskReport();
    const out = protectServerMessage(message, { method: 'tools/call', groups: [] }, engines, report) as typeof message;
    const texts = out.result.content.map((c) => c.text);
    expect(texts.join('')).to.equal('write to [EMAIL] or call [CREDIT_CARD] today');
    expect(report.countsObject()).to.deep.equal({ EMAIL: 1, CREDIT_CARD: 1 });
  });
});
