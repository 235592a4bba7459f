import { readFileSync } from 'node:fs';
import { redactor } from './test/masking/helpers.ts';
const m = redactor();
const d = JSON.parse(readFileSync('/work/shared/corpora/corpus-presidio-other.json', 'utf8'));
const want = new Set(process.argv.slice(2));
for (const c of d) if (want.has(c.type)) {
  const f = m.detect(c.text).map((x: any) => `${x.type}:${c.text.slice(x.start, x.end)}`);
  console.log(c.type, c.expect, JSON.stringify(c.text.slice(0, 90)), JSON.stringify(c.values), '=>', f.join(' | '));
}
