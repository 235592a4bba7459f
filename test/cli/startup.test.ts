// What the CLI loads before a command runs: every command module is imported to list its flags,
// so a command's heavy dependencies (node:https, yaml, @peculiar/x509, ...) must wait until it
// runs, or every command, --help included, pays for all of them at start-up.
import { expect } from 'chai';
import { runCli } from '../support/cli.ts';

// Preloaded into the CLI: notes every module it loads (ESM and CommonJS) and prints them at exit.
const RECORDER = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify(loaded) + '\\n'));
`;

async function loadedBy(args: string[]): Promise<string[]> {
  const r = await runCli(args, { env: { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(RECORDER)}` } });
  expect(r.code, r.stderr).to.equal(0);
  const line = /^LOADED (.*)$/mu.exec(r.stderr);
  expect(line, r.stderr).to.not.equal(null);
  return JSON.parse(line![1]!) as string[];
}

describe('mcp-residency start-up', () => {
  for (const args of [['--help'], ['operator', '--help'], ['approvals', 'list', '--help'], ['sidecar', '--help']]) {
    it(`${args.join(' ')} loads no package and no HTTPS client`, async () => {
      const loaded = await loadedBy(args);
      expect(loaded.some((u) => u.endsWith('/cli/commands/operator.ts')), 'the recorder saw the command modules').to.equal(true);
      expect(loaded.filter((u) => u.includes('/node_modules/') || u === 'node:https')).to.deep.equal([]);
    });
  }
});
