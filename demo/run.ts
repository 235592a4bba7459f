// `mcp-residency demo`: the whole product on one machine, no cluster. A sample MCP server full
// of personal data, the sidecar in front of it with examples/demo-policy.yaml, and a scripted
// agent on the official MCP SDK that shows, step by step, what the policy does. Then it keeps
// running so any MCP client can be pointed at it.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createLogger } from '../lib/log.ts';
import { readAuditRecords } from '../sidecar/audit/layout.ts';
import type { AuditRecord } from '../sidecar/audit/record.ts';
import { verifyAuditDir } from '../sidecar/audit/verify.ts';
import { startSidecar, type ListenAddress, type RunningSidecar } from '../sidecar/main.ts';
import { DEMO_AGENT, DEMO_DPO, DEMO_OFFICER, startDemoIssuer, type DemoIssuer } from './issuer.ts';
import { renderDiff, type FieldChange } from '../sidecar/pinning/fingerprint.ts';
import { livePins } from '../sidecar/pinning/live.ts';
import type { ToolPin } from '../policy/types.ts';
import { POISONED_SEARCH, startSampleServer, type RunningSampleServer } from './sample-server.ts';

export interface DemoOptions {
  readonly listen: ListenAddress;
  readonly policyFile?: string;
  readonly out: NodeJS.WritableStream;
}

export interface RunningDemo {
  readonly mcpUrl: string;
  readonly token: string;
  readonly dir: string;
  close(): Promise<void>;
}

/** examples/ ships next to the code in a checkout and in the image. */
export function defaultDemoPolicy(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'examples', 'demo-policy.yaml');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('examples/demo-policy.yaml not found next to the program; pass --policy');
}

export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const say = (line = ''): void => void options.out.write(`${line}\n`);
  const step = (n: number, of: number, what: string): void => say(`\n==> ${n}/${of} ${what}`);
  const steps = 8;
  const dir = await mkdtemp(join(tmpdir(), 'mcp-residency-demo-'));
  const loopback = { host: '127.0.0.1', port: 0 };
  const stack: { close(): Promise<void> }[] = [];
  const closeAll = async (): Promise<void> => {
    for (const s of stack.reverse()) await s.close().catch(() => undefined);
  };

  try {
    step(1, steps, 'A sample MCP server: a small CRM whose tools return customer records full of personal data');
    const server: RunningSampleServer = await startSampleServer('streamable', loopback);
    stack.push(server);
    say(`    serving ${server.url} (the agent never talks to it directly)`);

    const issuer: DemoIssuer = await startDemoIssuer(loopback);
    stack.push(issuer);

    step(2, steps, 'The sidecar in front of it, enforcing examples/demo-policy.yaml');
    const policyFile = options.policyFile ?? defaultDemoPolicy();
    const secretsDir = join(dir, 'secrets');
    await mkdir(join(secretsDir, 'demo-masking-key'), { recursive: true });
    await writeFile(join(secretsDir, 'demo-masking-key', 'key'), randomBytes(32).toString('hex'));
    const auditDir = join(dir, 'audit');
    // The policy names fixed demo ports; point it at the ones this run actually uses.
    const sidecarPolicy = join(dir, 'policy.yaml');
    const logger = createLogger({ level: 'info', format: 'json', out: createWriteStream(join(dir, 'sidecar.log'), { flags: 'a' }) });
    // With a fixed port the URL agents use is known now; with port 0 only after listening.
    const planned = `http://${options.listen.host}:${options.listen.port}/mcp`;
    // Tool pinning: the definitions as reviewed now; any later change is held for review.
    const pins = await livePins(new URL(server.url));
    say(`    pinned ${pins.length} reviewed tool definitions (mcp-residency tools pin --server ${server.url} --policy ...)`);
    await writeFile(sidecarPolicy, await retarget(policyFile, issuer.issuer, planned, pins));
    const sidecar: RunningSidecar = await startSidecar(
      { policyFile: sidecarPolicy, upstream: new URL(server.origin), listen: options.listen, egressListen: loopback, adminListen: loopback, auditDir, secretsDir, policyPollMs: 100 },
      { logger },
    );
    stack.push(sidecar);
    const mcpUrl = `${sidecar.urls.mcp}/mcp`;
    if (mcpUrl !== planned) await writeFile(sidecarPolicy, await retarget(policyFile, issuer.issuer, mcpUrl, pins));
    await waitReady(sidecar, mcpUrl);
    say(`    MCP gateway ${mcpUrl}, admin ${sidecar.urls.admin} (/readyz, /metrics)`);
    say(`    tokens from the demo identity provider ${issuer.issuer}; audit log in ${auditDir}`);

    step(3, steps, `An agent connects with an OIDC token: sub "${DEMO_AGENT.clientId}", groups [${DEMO_AGENT.groups.join(', ')}]`);
    const token = await issuer.token(DEMO_AGENT, mcpUrl);
    const agent = new Client({ name: 'demo-agent', version: '1.0.0' });
    await agent.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    stack.push(agent);
    const direct = new Client({ name: 'demo-direct', version: '1.0.0' });
    await direct.connect(new StreamableHTTPClientTransport(new URL(server.url)));
    stack.push(direct);
    const all = (await direct.listTools()).tools.map((t) => t.name);
    const visible = (await agent.listTools()).tools.map((t) => t.name);
    say(`    the server offers:  ${all.join(', ')}`);
    say(`    the agent sees:     ${visible.join(', ')}`);
    say(`    hidden by policy:   ${all.filter((t) => !visible.includes(t)).join(', ')}`);

    step(4, steps, 'The agent calls get_customer {"id": "42"}');
    const raw = await direct.callTool({ name: 'get_customer', arguments: { id: '42' } });
    const masked = await agent.callTool({ name: 'get_customer', arguments: { id: '42' } });
    say('    the server returned:');
    say(indent(pretty(firstText(raw))));
    say('    the agent received:');
    say(indent(pretty(firstText(masked))));

    step(5, steps, 'The agent calls delete_customer {"id": "42"}, which the policy denies');
    const before = server.calls.get('delete_customer') ?? 0;
    try {
      await agent.callTool({ name: 'delete_customer', arguments: { id: '42' } });
      say('    unexpectedly allowed');
    } catch (err) {
      say(`    refused: ${(err as Error).message}`);
    }
    say(`    the server's delete handler ran ${(server.calls.get('delete_customer') ?? 0) - before} times`);

    step(6, steps, `A privacy officer's agent calls export_customers, which the policy holds for approval`);
    const officer = new Client({ name: 'officer-agent', version: '1.0.0' });
    const officerToken = await issuer.token(DEMO_OFFICER, mcpUrl);
    await officer.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${officerToken}` } } }));
    stack.push(officer);
    const exported = officer.callTool({ name: 'export_customers', arguments: { format: 'csv' } }, undefined, { timeout: 60_000 });
    const dpoToken = await issuer.token(DEMO_DPO, mcpUrl);
    const admin = (path: string, body?: unknown): Promise<Response> =>
      fetch(`${sidecar.urls.admin}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${dpoToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const held = await waitFor(async () => ((await (await admin('/approvals')).json()) as { items: { id: string; tool: string; requester: { sub: string }; expiresAt: string; argumentsDigest: string }[] }).items[0]);
    say(`    held: ${held.tool} for ${held.requester.sub}, approval ${held.id}, expires ${held.expiresAt}`);
    say(`    bound to arguments ${held.argumentsDigest.slice(0, 19)}...; the server has run it ${server.calls.get('export_customers') ?? 0} times`);
    say(`    the data protection officer ("${DEMO_DPO.clientId}") approves: mcp-residency approvals approve ${held.id} --sidecar ${sidecar.urls.admin} --token <dpo token>`);
    const decided = await admin(`/approvals/${held.id}/approve`, { reason: 'quarterly report' });
    if (!decided.ok) throw new Error(`the demo approval failed: ${await decided.text()}`);
    const csv = firstText(await exported);
    say('    the agent received:');
    say(indent(csv));

    step(7, steps, "A rug pull: the server changes search_customers' description to a poisoned one");
    server.descriptions.set('search_customers', POISONED_SEARCH);
    say(`    the server now says: "${POISONED_SEARCH}"`);
    say(`    the agent sees:     ${(await agent.listTools()).tools.map((t) => t.name).join(', ')}`);
    try {
      await agent.callTool({ name: 'search_customers', arguments: { query: 'jane' } });
      say('    unexpectedly allowed');
    } catch (err) {
      say(`    refused: ${(err as Error).message}`);
    }
    const change = await waitFor(async () => ((await (await admin('/tools/pending')).json()) as { items: { tool: string; fingerprint: string; diff: FieldChange[] }[] }).items[0]);
    say(`    the approver reviews the diff: mcp-residency tools diff ${change.tool} --sidecar ${sidecar.urls.admin} --token <dpo token>`);
    say(indent(renderDiff(change.tool, change.diff).trimEnd()));
    const pinned = await admin(`/tools/${change.tool}/approve`, { fingerprint: change.fingerprint, reason: 'demo: approving to show the flow; a real reviewer rejects this one' });
    if (!pinned.ok) throw new Error(`the demo pin approval failed: ${await pinned.text()}`);
    say(`    approved (tools approve ${change.tool} --fingerprint ${change.fingerprint.slice(0, 19)}...); a real reviewer would reject this one`);
    say(`    the agent sees:     ${(await agent.listTools()).tools.map((t) => t.name).join(', ')}`);

    step(8, steps, 'The audit log: every interaction, with identity, masked, hash-chained');
    const records = await readAuditRecords(auditDir);
    for (const r of records) say(`    ${describeRecord(r)}`);
    const verified = await verifyAuditDir(auditDir);
    say(`    mcp-residency audit verify ${auditDir}: ${verified.ok ? `chain intact, ${verified.records} records` : `BROKEN: ${verified.problem?.message ?? ''}`}`);

    say('');
    say(`The sidecar keeps running. Point any MCP client at ${mcpUrl} with the header`);
    say(`  Authorization: Bearer ${token}`);
    say(`(valid for an hour), e.g.: curl -s ${mcpUrl} -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`);
    say(`  -H 'accept: application/json, text/event-stream' -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'`);
    say(`Sidecar log: ${join(dir, 'sidecar.log')}. Press Ctrl-C to stop.`);
    return { mcpUrl, token, dir, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function retarget(policyFile: string, issuer: string, audience: string, pins: readonly ToolPin[]): Promise<string> {
  const doc = parse(await readFile(policyFile, 'utf8')) as { spec?: { authentication?: Record<string, unknown>; tools?: Record<string, unknown> } };
  if (doc.spec?.tools && doc.spec.tools.pinning !== undefined && doc.spec.tools.pinning !== 'off') doc.spec.tools.pins = pins;
  if (doc.spec?.authentication?.mode !== 'none' && doc.spec?.authentication) {
    doc.spec.authentication.issuer = issuer;
    doc.spec.authentication.audiences = [audience];
  }
  return stringify(doc);
}

/** Waits until the sidecar is ready and enforces a policy whose audience is `audience`. */
async function waitReady(sidecar: RunningSidecar, audience: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = sidecar.policy.state();
    const auth = state.ok ? state.runtime.policy.authentication : undefined;
    const current = auth?.mode === 'oidc' ? auth.audiences[0] : audience;
    if (sidecar.readiness.report().ready && current === audience) return;
    if (Date.now() > deadline) throw new Error(`the sidecar did not become ready: ${JSON.stringify(sidecar.readiness.report().checks)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitFor<T>(fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting in the demo');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function firstText(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.find((c) => c.type === 'text')?.text ?? JSON.stringify(result);
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}

function describeRecord(r: AuditRecord): string {
  const masked = Object.entries(r.masked)
    .map(([t, n]) => `${t}x${n}`)
    .join(' ');
  return [`#${r.seq}`, r.kind, `sub=${r.principal.sub}`, r.method ?? '', r.tool ? `tool=${r.tool}` : '', `decision=${r.decision}`, masked ? `masked: ${masked}` : '', `hash=${r.hash.slice(0, 12)}...`]
    .filter(Boolean)
    .join('  ');
}
