import { redactor } from './test/masking/helpers.ts';
const m = redactor();
for (const t of process.argv.slice(2)) console.log(JSON.stringify(t), '=>', m.maskText(t));
