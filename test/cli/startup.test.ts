// What the CLI loads before a command runs: every command module is imported to list its flags,
// so a command's heavy dependencies (node:https, yaml, @peculiar/x509, ...) must wait until it
// runs, or every command, --help included, pays for all of them at start-up.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { cliEntry, repoRoot, runCli } from '../support/cli.ts';
import { freePort } from '../support/net.ts';
import { startIssuer, type TestIssuer } from '../support/oidc.ts';

// Preloaded into the CLI: notes every module it loads (ESM and CommonJS) and prints them at exit.
const RECORDER = `
import { registerHooks } from 'node:module';
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
// Node's own bundled undici (behind fetch and node:http's WebSocket) is no module URL: it shows in moduleLoadList.
const builtins = () => process.moduleLoadList.filter((m) => m.includes('internal/deps/undici')).map((m) => 'node-internal:' + m);
process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify([...loaded, ...builtins()]) + '\\n'));
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

// A standalone sidecar pays only for what its policy uses: every pod carries one, so each module
// it loads for nothing is multiplied by the number of pods (issue 17).
describe('mcp-residency sidecar: what a policy makes it load', () => {
  let issuer: TestIssuer;
  let dir: string;
  before(async () => {
    issuer = await startIssuer([]);
    dir = await mkdtemp(join(os.tmpdir(), 'mrp-loaded-'));
    const connection = join(dir, 'secrets', 'appinsights');
    await mkdir(connection, { recursive: true });
    // Loopback only: the shipper starts and fails to connect, which is all this test needs.
    await writeFile(join(connection, 'connectionString'), 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/\n');
  });
  after(async () => {
    await issuer.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function loadedBySidecar(name: string, audit: string): Promise<string[]> {
    const policy = join(dir, `${name}.yaml`);
    await writeFile(
      policy,
      `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: ${name} }
spec:
  authentication: { issuer: "${issuer.issuer}", audiences: [api://loaded] }
  audit: ${audit}
`,
    );
    const admin = await freePort();
    const args = ['sidecar', '--policy', policy, '--upstream', 'http://127.0.0.1:9', '--listen', '127.0.0.1:0', '--egress-listen', '127.0.0.1:0', '--transparent-listen', '127.0.0.1:0', '--admin-listen', `127.0.0.1:${admin}`, '--audit-dir', join(dir, `audit-${name}`), '--secrets-dir', join(dir, 'secrets')];
    const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(RECORDER)}` }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // Ready means the policy is loaded and applied, shipping included: all it will load at rest.
      for (let i = 0; ; i++) {
        const status = await fetch(`http://127.0.0.1:${admin}/readyz`).then((r) => r.status, () => 0);
        if (status === 200) break;
        if (child.exitCode !== null || i > 400) throw new Error(`the sidecar did not become ready: ${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const line = /^LOADED (.*)$/mu.exec(stderr);
    expect(line, stderr).to.not.equal(null);
    return JSON.parse(line![1]!) as string[];
  }

  const heavy = (loaded: string[]): string[] =>
    loaded.filter((u) => /^node-internal:|\/node_modules\/(@azure|@opentelemetry|typebox|prom-client|undici|jose)\/|\/kube\/(client|informer|config)\.ts$|\/sidecar\/(audit\/shipper|approvals\/kube|policy\/kube-source)\.ts$/u.test(u));

  // undici (the MCP server's connection pool) and jose (token verification) load with the first
  // call and the first token: an idle pod pays for neither, nor for Node's bundled undici, which
  // an ESM import of node:http or a fetch() would load (lib/node-http.ts).
  it('a file policy that ships nothing loads no exporter, no Kubernetes client, no schema builder, no prom-client, no HTTP client, no JOSE', async () => {
    const loaded = await loadedBySidecar('quiet', '{}');
    expect(loaded.some((u) => u.endsWith('/sidecar/inbound/gateway.ts')), 'the recorder saw the sidecar').to.equal(true);
    expect(heavy(loaded)).to.deep.equal([]);
  });

  it('a policy that ships to Azure Monitor loads the exporter, and only that', async () => {
    const loaded = await loadedBySidecar('shipping', '{ azureMonitor: { connectionStringSecret: { name: appinsights, key: connectionString } } }');
    // The exporter stack is read through require (audit/shipper.ts): its ESM build's node:http import would load
    // Node's bundled undici and web streams too, about 7 MB more in every shipping pod.
    expect(loaded.filter((u) => u.startsWith('node-internal:'))).to.deep.equal([]);
    const parts = new Set(heavy(loaded).map((u) => /node_modules\/(@[^/]+\/[^/]+|[^/]+)/u.exec(u)?.[1] ?? u.slice(u.lastIndexOf('/') + 1)));
    expect([...parts]).to.include.members(['@azure/monitor-opentelemetry-exporter', 'shipper.ts']);
    expect([...parts].filter((p) => /typebox|prom-client|undici|jose|client\.ts|informer\.ts|kube-source\.ts/u.test(p))).to.deep.equal([]);
  });
});

// The image runs dist/, not the sources: a data file the code reads at run time must be in the
// build too (tsc emits only what is imported). The people lexicon is one; without it every
// masking of a name failed with ENOENT in the built sidecar.
describe('the built CLI (dist/)', () => {
  it('carries every data file it reads at run time: it masks a person by the lexicon', async () => {
    const built = join(repoRoot, 'dist', 'cli', 'main.js');
    const policy = join(repoRoot, 'examples', 'minimal.yaml');
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [built, 'mask', '--policy', policy], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end('Dear Ms Jensen, Lars Jensen was assigned to the case.');
    });
    expect(r.code, `${r.stderr} (run make build first)`).to.equal(0);
    expect(r.stdout).to.include('[PERSON]').and.to.not.include('Jensen');
  });
});
