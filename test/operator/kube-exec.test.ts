// Exec credential plugins as kubectl runs them: a real script, real processes, the ExecCredential
// rules of client.authentication.k8s.io v1 and v1beta1.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseKubeconfig } from '../../kube/config.ts';
import { ExecCredentialError, type ExecEnvironment } from '../../kube/exec.ts';
import { execCredential, execKubeconfig, writeExecPlugin, type ExecPlugin } from '../support/exec-plugin.ts';

const V1 = 'client.authentication.k8s.io/v1';
const V1BETA1 = 'client.authentication.k8s.io/v1beta1';

describe('kube exec credential plugins', () => {
  let dir: string;
  let plugin: ExecPlugin;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'exec-plugin-'));
    plugin = await writeExecPlugin(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const connect = (exec: Record<string, unknown>, environment: ExecEnvironment = {}) =>
    parseKubeconfig(execKubeconfig('https://127.0.0.1:6443', 'CA-PEM', exec), dir, { exec: { env: { PATH: process.env.PATH }, stdinIsTerminal: false, ...environment } });

  it('runs the plugin with its args and env, hands it KUBERNETES_EXEC_INFO, and uses its token until it expires', async () => {
    let now = Date.parse('2026-12-07T12:00:00Z');
    await plugin.answer(execCredential({ token: 'tok-1', expirationTimestamp: '2026-12-07T12:10:00Z' }));
    const c = connect(
      { apiVersion: V1, command: plugin.path, args: ['get-token', '--server-id', 'abc'], env: [{ name: 'FAKE_LOGIN_TENANT', value: 'contoso' }], interactiveMode: 'Never', provideClusterInfo: true },
      { now: () => now },
    );
    expect((await c.exec!.get()).token).to.equal('tok-1');
    expect(await plugin.lastArgs()).to.equal('get-token --server-id abc');
    expect(await plugin.lastEnv()).to.equal('contoso');
    expect(await plugin.lastInfo()).to.deep.equal({
      kind: 'ExecCredential',
      apiVersion: V1,
      spec: { interactive: false, cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from('CA-PEM').toString('base64') } },
    });
    await Promise.all([c.exec!.get(), c.exec!.get()]);
    now = Date.parse('2026-12-07T12:09:59Z');
    expect((await c.exec!.get()).token, 'still valid: not run again').to.equal('tok-1');
    expect(await plugin.runs()).to.equal(1);
    await plugin.answer(execCredential({ token: 'tok-2', expirationTimestamp: '2026-12-07T13:00:00Z' }));
    now = Date.parse('2026-12-07T12:10:00Z');
    expect((await c.exec!.get()).token, 'expired: run again').to.equal('tok-2');
    expect(await plugin.runs()).to.equal(2);
    c.exec!.invalidate(); // what a 401 does
    expect((await c.exec!.get()).token).to.equal('tok-2');
    expect(await plugin.runs()).to.equal(3);
  });

  it('takes a client certificate from a v1beta1 plugin, which defaults to IfAvailable', async () => {
    await plugin.answer(execCredential({ clientCertificateData: 'CERT-PEM', clientKeyData: 'KEY-PEM' }, V1BETA1));
    const c = connect({ apiVersion: V1BETA1, command: plugin.path });
    expect(await c.exec!.get()).to.deep.include({ cert: 'CERT-PEM', key: 'KEY-PEM', token: undefined, expiresAt: undefined });
    expect(await plugin.lastInfo()).to.deep.equal({ kind: 'ExecCredential', apiVersion: V1BETA1, spec: { interactive: false } });
  });

  it('follows kubectl on interactiveMode: required with v1, Always needs a terminal, IfAvailable is interactive on one', async () => {
    expect(() => connect({ apiVersion: V1, command: plugin.path })).to.throw(ConfigError, 'exec.interactiveMode is required');
    expect(() => connect({ apiVersion: V1, command: plugin.path, interactiveMode: 'Sometimes' })).to.throw(ConfigError, 'exec.interactiveMode "Sometimes" is not one of');
    expect(() => connect({ apiVersion: 'client.authentication.k8s.io/v1alpha1', command: plugin.path, interactiveMode: 'Never' })).to.throw(ConfigError, 'use client.authentication.k8s.io/v1 or');
    const always = connect({ apiVersion: V1, command: plugin.path, interactiveMode: 'Always' });
    await expectError(always.exec!.get(), 'interactiveMode is Always but stdin is not a terminal');
    expect(await plugin.runs(), 'refused before running').to.equal(0);
    await plugin.answer(execCredential({ token: 't' }));
    await connect({ apiVersion: V1, command: plugin.path, interactiveMode: 'IfAvailable' }, { stdinIsTerminal: true }).exec!.get();
    expect(await plugin.lastInfo()).to.have.nested.property('spec.interactive', true);
    await connect({ apiVersion: V1, command: plugin.path, interactiveMode: 'Never' }, { stdinIsTerminal: true }).exec!.get();
    expect(await plugin.lastInfo()).to.have.nested.property('spec.interactive', false);
  });

  it('names the plugin when it is missing (with its installHint), fails, or prints nonsense', async () => {
    const missing = connect({ apiVersion: V1, command: 'kubelogin-not-installed', interactiveMode: 'Never', installHint: 'Install kubelogin: az aks install-cli' });
    await expectError(missing.exec!.get(), 'exec plugin kubelogin-not-installed is not installed (not found on PATH)\n\nInstall kubelogin: az aks install-cli');
    await writeFile(join(dir, 'fail'), 'AADSTS700024: client assertion is not within its valid time range');
    const failing = connect({ apiVersion: V1, command: plugin.path, interactiveMode: 'Never' });
    await expectError(failing.exec!.get(), `exec plugin ${plugin.path} exited with code 3: AADSTS700024: client assertion is not within its valid time range`);
    await rm(join(dir, 'fail'));
    await plugin.answer(execCredential({ token: 't' }, V1BETA1));
    await expectError(connect({ apiVersion: V1, command: plugin.path, interactiveMode: 'Never' }).exec!.get(), 'apiVersion "client.authentication.k8s.io/v1beta1" differs');
    await plugin.answer(execCredential({ token: 't', expirationTimestamp: 'tomorrow' }));
    await expectError(connect({ apiVersion: V1, command: plugin.path, interactiveMode: 'Never' }).exec!.get(), 'expirationTimestamp "tomorrow" is not an RFC 3339 time');
    await plugin.answer(execCredential({}));
    await expectError(connect({ apiVersion: V1, command: plugin.path, interactiveMode: 'Never' }).exec!.get(), 'neither a token nor a client certificate');
  });

  it('resolves a command with a path separator against the kubeconfig directory, as client-go does', async () => {
    await plugin.answer(execCredential({ token: 'relative' }));
    const c = connect({ apiVersion: V1, command: './fake-login', interactiveMode: 'Never' });
    expect((await c.exec!.get()).token).to.equal('relative');
  });
});

async function expectError(p: Promise<unknown>, message: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'an error').to.be.instanceOf(ExecCredentialError);
  expect((err as Error).message).to.include(message);
}
