// Microsoft Entra workload identity, with @azure/identity's real WorkloadIdentityCredential and
// the real Azure Monitor exporter, in a sidecar process whose environment is what AKS's
// workload-identity webhook injects (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE,
// AZURE_AUTHORITY_HOST). Entra, the ingestion endpoint and Azure OpenAI are local HTTPS fakes
// under a test CA the process trusts through NODE_EXTRA_CA_CERTS.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestionServer } from '../audit/support/ingestion.ts';
import { IKEY } from '../audit/support/helpers.ts';
import { createTestPki, type TestPki } from '../egress/support/pki.ts';
import { startCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startFakeEntra, type FakeEntra } from '../support/entra.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '5f2a0c1e-1111-4a4a-9b9b-0123456789ab';
const AOAI_SCOPE = 'https://cognitiveservices.azure.com/.default';
const MONITOR_SCOPE = 'https://monitor.azure.com/.default';

interface Seen {
  readonly authorization: string | undefined;
  readonly apiKey: string | undefined;
}

/** Azure OpenAI with key authentication disabled: only an Entra ID token for the cognitive services scope gets in. */
async function startFakeAzureOpenAi(pki: TestPki, entra: FakeEntra): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server: Server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    req.resume();
    req.on('end', () => {
      const authorization = req.headers.authorization;
      seen.push({ authorization, apiKey: req.headers['api-key'] as string | undefined });
      const granted = entra.grants.some((g) => g.scope === AOAI_SCOPE && authorization === `Bearer ${g.token}`);
      res.writeHead(granted ? 200 : 401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          granted
            ? { id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }] }
            : { error: { code: 'PermissionDenied', message: 'Key based authentication is disabled for this resource.' } },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('Entra workload identity for Azure Monitor and Azure OpenAI', function () {
  this.timeout(60_000);
  let dir: string;
  let pki: TestPki;
  let entra: FakeEntra;
  let ingestion: IngestionServer;
  let aoai: Awaited<ReturnType<typeof startFakeAzureOpenAi>>;
  const federatedToken = `eyJhbGciOiJSUzI1NiJ9.${randomBytes(24).toString('base64url')}.sig`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mrp-wi-'));
    pki = await createTestPki(['127.0.0.1', 'localhost'], 'workload identity test CA');
    entra = await startFakeEntra({ tenantId: TENANT, clientId: CLIENT, federatedToken, pki });
    ingestion = await IngestionServer.start({
      tls: pki,
      authorize: (auth) => entra.grants.some((g) => g.scope === MONITOR_SCOPE && auth === `Bearer ${g.token}`),
    });
    aoai = await startFakeAzureOpenAi(pki, entra);
    await writeFile(join(dir, 'ca.pem'), pki.caPem);
  });

  after(async () => {
    await Promise.all([entra?.close(), ingestion?.close(), aoai?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('ships audit records with an Entra ID token and calls Azure OpenAI with one the app never sees', async () => {
    await writeFile(join(dir, 'azure-identity-token'), federatedToken);
    await mkdir(join(dir, 'secrets', 'appinsights'), { recursive: true });
    await writeFile(join(dir, 'secrets', 'appinsights', 'connectionString'), `InstrumentationKey=${IKEY};IngestionEndpoint=${ingestion.url}/`);
    const policy = join(dir, 'policy.yaml');
    await writeFile(
      policy,
      `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: aks, namespace: agents }
spec:
  authentication: { mode: none }
  egress:
    allowedRegions: [westeurope]
    upstreams:
      - name: aoai
        url: ${aoai.url}
        region: westeurope
        allowPrivateAddresses: true
        credential: { workloadIdentity: { scope: "${AOAI_SCOPE}" } }
  audit:
    azureMonitor: { connectionStringSecret: { name: appinsights, key: connectionString }, authentication: workloadIdentity }
`,
    );
    const { child, started } = startCli<{ msg: string; egress: string }>(
      ['sidecar', '--policy', policy, '--upstream', 'http://127.0.0.1:9', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--egress-listen', '127.0.0.1:0', '--audit-dir', join(dir, 'audit'), '--secrets-dir', join(dir, 'secrets')],
      'sidecar started',
      {
        env: {
          NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
          AZURE_CLIENT_ID: CLIENT,
          AZURE_TENANT_ID: TENANT,
          AZURE_FEDERATED_TOKEN_FILE: join(dir, 'azure-identity-token'),
          AZURE_AUTHORITY_HOST: entra.authorityHost,
        },
      },
    );
    try {
      const { egress } = await started;
      // The app sends its own (stale) credentials; the sidecar drops them and adds the Entra ID token.
      const res = await fetch(`${egress}/aoai/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer app-own-token', 'api-key': 'app-own-key' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      });
      const text = await res.text();
      expect(res.status, text).to.equal(200);
      expect(aoai.seen).to.have.length(1);
      const aoaiGrant = entra.grants.find((g) => g.scope === AOAI_SCOPE);
      expect(aoaiGrant, 'a token for the cognitive services scope').to.not.equal(undefined);
      expect(aoai.seen[0]).to.deep.equal({ authorization: `Bearer ${aoaiGrant!.token}`, apiKey: undefined });
      expect(text).to.not.include(aoaiGrant!.token);

      await eventually('the egress call shipped to the ingestion endpoint with a bearer token', () => (ingestion.accepted.length > 0 ? true : undefined), 20_000);
      const monitorGrant = entra.grants.find((g) => g.scope === MONITOR_SCOPE);
      expect(ingestion.requests.every((r) => r.authorization === `Bearer ${monitorGrant!.token}`)).to.equal(true);
      expect(ingestion.accepted[0]!.iKey).to.equal(IKEY);
      expect(entra.refusals).to.deep.equal([]);
      expect(entra.grants.every((g) => g.clientId === CLIENT)).to.equal(true);

      // Tokens are reused: a second call fetches nothing new.
      const before = entra.grants.length;
      const again = await fetch(`${egress}/aoai/openai/deployments/gpt-4o/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"messages":[]}' });
      expect(again.status).to.equal(200);
      expect(entra.grants.filter((g) => g.scope === AOAI_SCOPE)).to.have.length(1);
      expect(entra.grants.length).to.equal(before);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses, naming the identity, when the federated token is not the one Entra trusts; nothing reaches Azure OpenAI', async () => {
    await writeFile(join(dir, 'wrong-token'), 'not-the-federated-token');
    const policy = join(dir, 'policy-2.yaml');
    await writeFile(
      policy,
      `apiVersion: mcpresidency.io/v1alpha1
kind: MCPResidencyPolicy
metadata: { name: aks }
spec:
  authentication: { mode: none }
  egress:
    allowedRegions: [westeurope]
    upstreams: [ { name: aoai, url: "${aoai.url}", region: westeurope, allowPrivateAddresses: true, credential: { workloadIdentity: { scope: "${AOAI_SCOPE}" } } } ]
`,
    );
    const seenBefore = aoai.seen.length;
    const { child, started } = startCli<{ msg: string; egress: string }>(
      ['sidecar', '--policy', policy, '--upstream', 'http://127.0.0.1:9', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--egress-listen', '127.0.0.1:0', '--audit-dir', join(dir, 'audit-2')],
      'sidecar started',
      {
        env: {
          NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
          AZURE_CLIENT_ID: CLIENT,
          AZURE_TENANT_ID: TENANT,
          AZURE_FEDERATED_TOKEN_FILE: join(dir, 'wrong-token'),
          AZURE_AUTHORITY_HOST: entra.authorityHost,
        },
      },
    );
    try {
      const { egress } = await started;
      const res = await fetch(`${egress}/aoai/openai/deployments/gpt-4o/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"messages":[]}' });
      const body = (await res.json()) as { error: { type: string; message: string } };
      expect(res.status).to.equal(502);
      expect(body.error.type).to.equal('upstream_configuration');
      expect(body.error.message).to.include('the credential of upstream aoai is unavailable: cannot get a Microsoft Entra ID token for https://cognitiveservices.azure.com/.default');
      expect(body.error.message).to.include('AADSTS700213');
      expect(body.error.message).to.include('nothing was sent');
      expect(entra.refusals).to.include('the client assertion is not the federated token');
      expect(aoai.seen.length).to.equal(seenBefore);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
