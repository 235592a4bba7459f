import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../support/cli.ts';

// In a process of its own: the collection and the flag it sets are the whole process's.
function run(script: string): string {
  const module = join(repoRoot, 'lib', 'startup-garbage.ts');
  return execFileSync(process.execPath, ['--input-type=module', '-e', `import { releaseStartupGarbage } from ${JSON.stringify(module)};\n${script}`], { encoding: 'utf8' }).trim();
}

describe('releaseStartupGarbage', () => {
  it('runs a memory-reducing collection: the young generation shrinks back', () => {
    const out = run(`
import v8 from 'node:v8';
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
// Start-up's pattern: much allocated, much of it surviving a while, then dropped.
let keep = [];
for (let i = 0; i < 200_000; i++) { keep.push({ i, s: 'x'.repeat(i % 64) }); if (keep.length > 50_000) keep = []; }
keep = undefined;
const before = young();
const ran = releaseStartupGarbage();
console.log(JSON.stringify({ ran, before, after: young() }));
`);
    const { ran, before, after } = JSON.parse(out) as { ran: boolean; before: number; after: number };
    expect(ran).to.equal(true);
    expect(after).to.be.below(before);
  });

  it('exposes no gc to the process it runs in', () => {
    expect(run(`releaseStartupGarbage(); console.log(typeof globalThis.gc);`)).to.equal('undefined');
  });
});
