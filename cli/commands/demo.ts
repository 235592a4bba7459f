import { parseListen } from '../../lib/listen.ts';
import { CliError, defineCommand } from '../command.ts';
import { untilStopSignal } from '../signals.ts';

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'Walk through the product locally: a sample MCP server behind the sidecar (no cluster)',
  description: `
Starts a sample MCP server full of personal data, the sidecar in front of it with
examples/demo-policy.yaml and a small identity provider, then runs a scripted agent on the
official MCP SDK: the tools it may see, a call with masked results, a denied call, and the
audit records written. Afterwards it keeps running and prints the URL and a token for any MCP
client, until Ctrl-C.`,
  flags: {
    listen: { type: 'string', value: 'ADDR', default: '127.0.0.1:15080', help: 'where the sidecar listens for MCP clients' },
    policy: { type: 'string', value: 'FILE', help: 'the policy to enforce (default: examples/demo-policy.yaml)' },
    exit: { type: 'boolean', help: 'stop after the scripted walkthrough instead of serving' },
  },
  examples: ['mcp-residency demo', 'mcp-residency demo --listen 127.0.0.1:25080 --exit'],
  async run({ flags, io }) {
    let listen;
    try {
      listen = parseListen(flags.listen, '--listen');
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    const { defaultDemoPolicy, runDemo } = await import('../../demo/run.ts');
    const demo = await runDemo({ listen, policyFile: flags.policy ?? defaultDemoPolicy(), out: io.stdout });
    if (!flags.exit) {
      await untilStopSignal();
      io.stdout.write('\nstopping the demo\n');
    }
    await demo.close();
    return 0;
  },
});
