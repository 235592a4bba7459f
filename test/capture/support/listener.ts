// The transparent egress listener on a loopback port, on top of the egress test harness (its
// policy, fake providers, test resolver and in-memory audit), and the clients a captured
// application would be: an HTTPS call that connects to the listener while naming a provider
// in its SNI, as if the capture rules had redirected it there; plain HTTP; raw TCP.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AuditEntry } from '../../../sidecar/audit/record.ts';
import { startTransparentListener, type TransparentListener } from '../../../sidecar/capture/transparent.ts';
import { validatePolicy } from '../../../policy/validate.ts';
import { buildRuntime } from '../../../sidecar/policy/runtime.ts';
import { policyYaml, startHarness, type Harness, type HarnessOptions } from '../../egress/support/harness.ts';
import { eventually } from '../../support/eventually.ts';

export interface CaptureHarness {
  readonly h: Harness;
  readonly listener: TransparentListener;
  /** Where clients connect: the listener's address (127.0.0.1, or ::1 for a listener on [::]). */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startCaptureHarness(o: HarnessOptions = {}): Promise<CaptureHarness> {
  const h = await startHarness(o);
  const c = await addListener(h, '127.0.0.1');
  return {
    ...c,
    close: async () => {
      await c.close();
      await h.close();
    },
  };
}

/** Another transparent listener on the same harness, bound to `bind` (e.g. "::"); close() closes only it. */
export async function addListener(h: Harness, bind: string): Promise<CaptureHarness> {
  const listener = await startTransparentListener({
    listen: { host: bind, port: 0 },
    policy: () => h.policyState,
    audit: h.audit,
    metrics: h.metrics,
    logger: h.logger,
    gatewayOrigin: h.origin,
    resolver: h.resolve,
    principal: { sub: 'pod-under-test' },
  });
  return { h, listener, host: bind === '::' ? '::1' : bind, port: listener.address().port, close: () => listener.close() };
}

export interface Reply {
  readonly status: number;
  readonly text: string;
}

/** An HTTPS request sent to the listener with `servername` in the SNI and the Host header. */
export function tlsCall(c: CaptureHarness, servername: string | undefined, hostHeader: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: c.host,
        port: c.port,
        ...(servername !== undefined ? { servername } : {}),
        ca: c.h.pki.caPem,
        // Without SNI the certificate is still checked, against the Host the test names.
        checkServerIdentity: () => undefined,
        method: body === undefined ? 'GET' : 'POST',
        path,
        agent: false,
        headers: { host: hostHeader, ...(body !== undefined ? { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) } : {}) },
      },
      (res) => collect(res, resolve, reject),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A plain HTTP request to the listener with the given Host header. */
export function httpCall(c: CaptureHarness, hostHeader: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: c.host, port: c.port, path, agent: false, headers: { host: hostHeader } }, (res) => collect(res, resolve, reject));
    req.on('error', reject);
    req.end();
  });
}

function collect(res: http.IncomingMessage, resolve: (r: Reply) => void, reject: (e: Error) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (d: Buffer) => chunks.push(d));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
  res.on('error', reject);
}

/** Raw bytes to the listener; what came back and how the connection ended. */
export function rawCall(port: number, bytes: Buffer | string, host = '127.0.0.1'): Promise<{ data: Buffer; error: string | undefined }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => resolve({ data: Buffer.concat(chunks), error }));
    socket.write(bytes);
  });
}

/** The record of the connection that closed last after `before` records existed. */
export function nextRecord(c: CaptureHarness, before: number): Promise<AuditEntry> {
  return eventually('the captured connection to be recorded', () => c.h.audit.entries[before]);
}

/** Replaces the harness's policy by the same one with `destinations` declared (egress.destinations). */
export async function declareDestinations(c: CaptureHarness, destinations: ReadonlyArray<Record<string, unknown>>, o: HarnessOptions = {}): Promise<void> {
  const { h } = c;
  const doc = policyYaml({ openai: h.openai.port, anthropic: h.anthropic.port, us: h.us.port }, { ...o, destinations });
  const validation = validatePolicy(doc);
  if (validation.policy === undefined) throw new Error(`test policy invalid: ${JSON.stringify(validation.problems)}`);
  h.policyState = { ok: true, runtime: await buildRuntime(validation.policy, { secretsDir: h.secretsDir, logger: h.logger }) };
}
