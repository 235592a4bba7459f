// Reaching the API server: kubeconfig files as kubectl reads them, and the in-cluster config.
import { expect } from 'chai';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, inClusterConfig, loadKubeconfig, parseKubeconfig, tokenFileReader } from '../../kube/config.ts';
import { resourcePath, PODS, POLICIES, MUTATING_WEBHOOKS } from '../../kube/resources.ts';
import { WorkQueue } from '../../kube/queue.ts';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('kube config', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const kubeconfig = (users: string, extraContexts = ''): string => `
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: c1
  cluster: { server: "https://10.0.0.1:6443/", certificate-authority-data: ${b64('CA-PEM')} }
- name: c2
  cluster: { server: "https://example.com", certificate-authority: ca.crt, tls-server-name: api.internal }
contexts:
- name: dev
  context: { cluster: c1, user: certs, namespace: team-a }
- name: prod
  context: { cluster: c2, user: file-token }
${extraContexts}
users:
${users}`;

  const users = `
- name: certs
  user: { client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')} }
- name: file-token
  user: { tokenFile: token }
- name: inline
  user: { token: abc }
- name: cloud
  user: { exec: { command: kubelogin } }`;

  it('reads the current context: server, CA data, client certificate, namespace', () => {
    const c = parseKubeconfig(kubeconfig(users), dir);
    expect(c).to.include({ server: 'https://10.0.0.1:6443', ca: 'CA-PEM', cert: 'CERT', key: 'KEY', namespace: 'team-a', insecureSkipTlsVerify: false });
    expect(c.token).to.equal(undefined);
  });

  it('resolves files relative to the kubeconfig and re-reads a rotated token file', () => {
    writeFileSync(join(dir, 'ca.crt'), 'FILE-CA');
    writeFileSync(join(dir, 'token'), 'one\n');
    writeFileSync(join(dir, 'config'), kubeconfig(users));
    const c = loadKubeconfig(join(dir, 'config'), { context: 'prod' });
    expect(c).to.include({ server: 'https://example.com', ca: 'FILE-CA', tlsServerName: 'api.internal' });
    expect(c.token!()).to.equal('one');
    let now = 0;
    const read = tokenFileReader(join(dir, 'token'), 60_000, () => now);
    expect(read()).to.equal('one');
    writeFileSync(join(dir, 'token'), 'two\n');
    utimesSync(join(dir, 'token'), new Date(), new Date(Date.now() + 5000));
    expect(read(), 'cached within the refresh period').to.equal('one');
    now = 60_000;
    expect(read()).to.equal('two');
  });

  it('says what is wrong: unknown context, missing user, an exec plugin without interactiveMode, auth-provider', () => {
    expect(() => parseKubeconfig(kubeconfig(users), dir, { context: 'nope' })).to.throw(ConfigError, 'has no context "nope"');
    const cloud = kubeconfig(users, '- name: cloud\n  context: { cluster: c1, user: cloud }');
    expect(() => parseKubeconfig(cloud, dir, { context: 'cloud' })).to.throw(ConfigError, 'exec.apiVersion undefined is not supported');
    const legacy = kubeconfig(`${users}\n- name: gcp\n  user: { auth-provider: { name: gcp } }`, '- name: gcp\n  context: { cluster: c1, user: gcp }');
    expect(() => parseKubeconfig(legacy, dir, { context: 'gcp' })).to.throw(ConfigError, 'uses auth-provider, which is not supported (kubectl 1.26 removed the azure and gcp ones)');
    const ghost = kubeconfig(users, '- name: ghost\n  context: { cluster: c1, user: ghost }');
    expect(() => parseKubeconfig(ghost, dir, { context: 'ghost' })).to.throw(ConfigError, 'names user "ghost", which is not defined');
  });

  it('builds the in-cluster config from the service account files and KUBERNETES_SERVICE_HOST/PORT', () => {
    writeFileSync(join(dir, 'token'), 'sa-token');
    writeFileSync(join(dir, 'ca.crt'), 'CLUSTER-CA');
    writeFileSync(join(dir, 'namespace'), 'mcp-residency-system');
    const c = inClusterConfig({ dir, env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' } });
    expect(c).to.include({ server: 'https://[fd00::1]:443', ca: 'CLUSTER-CA', namespace: 'mcp-residency-system' });
    expect(c.token!()).to.equal('sa-token');
    expect(() => inClusterConfig({ dir, env: {} })).to.throw(ConfigError, 'pass --kubeconfig');
  });

  it('builds REST paths for core, grouped, namespaced and cluster-scoped resources', () => {
    expect(resourcePath(PODS)).to.equal('/api/v1/pods');
    expect(resourcePath(PODS, { namespace: 'a', name: 'p', subresource: 'status' })).to.equal('/api/v1/namespaces/a/pods/p/status');
    expect(resourcePath(POLICIES, { namespace: 'a' })).to.equal('/apis/mcpresidency.io/v1alpha1/namespaces/a/mcpresidencypolicies');
    expect(resourcePath(MUTATING_WEBHOOKS, { namespace: 'ignored', name: 'x' })).to.equal('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/x');
  });
});

describe('kube work queue', () => {
  it('coalesces repeated keys, never runs one key twice at once, and retries failures', async () => {
    const runs: string[] = [];
    let active = 0;
    let maxActiveSameKey = 0;
    let failOnce = true;
    const q = new WorkQueue(
      async (key) => {
        active++;
        maxActiveSameKey = Math.max(maxActiveSameKey, active);
        runs.push(key);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        if (key === 'b' && failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
      },
      { concurrency: 1, backoffInitialMs: 10 },
    );
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a'); // while a is running: runs once more afterwards
    await new Promise((r) => setTimeout(r, 5));
    q.add('a');
    await new Promise((r) => setTimeout(r, 200));
    await q.idle();
    expect(runs.filter((k) => k === 'b')).to.have.length(2);
    expect(runs.filter((k) => k === 'a')).to.have.length(2);
    expect(maxActiveSameKey).to.equal(1);
    q.stop();
  });
});
