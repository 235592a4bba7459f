import { expect } from 'chai';
import { isLevel } from '../../lib/log.ts';
import { OptionsError, parseLevel } from '../../operator/options.ts';
import { runCli } from '../support/cli.ts';

describe('log levels', () => {
  it('accepts exactly debug, info, warn and error', () => {
    for (const level of ['debug', 'info', 'warn', 'error']) expect(isLevel(level), level).to.equal(true);
    // Names every object inherits must not pass for a level: ORDER[level] would then be a function.
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'INFO', '']) expect(isLevel(name), name).to.equal(false);
  });

  it('the operator names the flag and the value it refuses', () => {
    expect(() => parseLevel('sidecar-log-level', 'toString')).to.throw(OptionsError, '--sidecar-log-level: "toString" is not one of debug, info, warn, error');
  });

  it('the sidecar command refuses an inherited name with exit 2', async () => {
    const r = await runCli(['sidecar', '--policy', 'missing.yaml', '--upstream', 'http://127.0.0.1:1', '--log-level', 'constructor']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('--log-level: "constructor" is not one of debug, info, warn, error');
  });
});
