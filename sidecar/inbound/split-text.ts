// A value split across adjacent text items of one content list ("jane.doe@exa" + "mple.com")
// is one value to the client, which shows the items as one text. Around each boundary between
// adjacent items the text is scanned as one (a window on either side, so the cost does not
// grow with the items' length), and a value found across it is masked in every item that holds
// a piece of it (the token where it starts, nothing where it goes on). The items are then
// masked one by one as usual. Pure: no I/O.
import type { Masker, MaskReport } from '../masking/engine.ts';

/** Characters on either side of a boundary: longer than any value a detector finds in text. */
const WINDOW = 160;

interface TextItem {
  readonly type: 'text';
  readonly text: string;
}

function isText(v: unknown): v is TextItem {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'text' && typeof (v as { text?: unknown }).text === 'string';
}

/** `content` with values that cross item boundaries masked; the same array when there are none. */
export function maskAcrossItems(content: readonly unknown[], masker: Masker, report: MaskReport): readonly unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < content.length; ) {
    let j = i;
    while (j < content.length && isText(content[j])) j++;
    if (j - i >= 2) {
      const items = content.slice(i, j) as TextItem[];
      const texts = maskRun(items.map((t) => t.text), masker, report);
      texts.forEach((t, k) => {
        if (t !== items[k]!.text) (out ??= [...content])[i + k] = { ...items[k], text: t };
      });
    }
    i = Math.max(j, i + 1);
  }
  return out ?? content;
}

function maskRun(texts: readonly string[], masker: Masker, report: MaskReport): readonly string[] {
  const joined = texts.join('');
  const offsets: number[] = [];
  let at = 0;
  for (const t of texts) {
    offsets.push(at);
    at += t.length;
  }
  // Spans [start, end) of joined that cross a boundary, with their token.
  const spans: [number, number, string][] = [];
  for (const boundary of offsets.slice(1)) {
    const from = Math.max(0, boundary - WINDOW);
    for (const f of masker.detect(joined.slice(from, boundary + WINDOW))) {
      const start = from + f.start;
      const end = from + f.end;
      if (start >= boundary || end <= boundary || spans.some(([s, e]) => s === start && e === end)) continue;
      const value = joined.slice(start, end);
      const token = masker.mode === 'pseudonymize' ? masker.pseudonym(f.type, value) : `[${f.type}]`;
      report.record(f.type, masker.mode === 'pseudonymize' ? token : undefined, masker.mode === 'pseudonymize' ? value : undefined, undefined);
      spans.push([start, end, token]);
    }
  }
  if (spans.length === 0) return texts;
  spans.sort((a, b) => a[0] - b[0]);
  return texts.map((text, k) => {
    const base = offsets[k]!;
    let out = '';
    let pos = 0;
    for (const [start, end, token] of spans) {
      const a = Math.max(start - base, pos);
      const b = Math.min(end - base, text.length);
      if (b <= a) continue;
      // The token goes where the value starts; its other pieces just go.
      out += text.slice(pos, a) + (start >= base ? token : '');
      pos = b;
    }
    return pos === 0 && out === '' ? text : out + text.slice(pos);
  });
}
