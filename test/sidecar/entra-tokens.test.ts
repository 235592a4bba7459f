// The token cache in front of the workload-identity credential: one fetch per scope until it is
// due for refresh, a refresh before expiry, and a still-valid token when a refresh fails. The
// credential here stands in for Entra's token endpoint; the real exchange (WorkloadIdentityCredential
// against a local HTTPS Entra) is in workload-identity.test.ts.
import { expect } from 'chai';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { EntraTokens, isMicrosoftAuthority, missingWorkloadIdentityEnv, workloadIdentityCredential } from '../../sidecar/identity/workload.ts';

const HOUR = 3600_000;

function credential(): { cred: TokenCredential; calls: string[]; fail: { now: boolean } } {
  const calls: string[] = [];
  const fail = { now: false };
  let n = 0;
  const cred: TokenCredential = {
    getToken(scope: string | string[]): Promise<AccessToken> {
      const s = String(scope);
      calls.push(s);
      if (fail.now) return Promise.reject(new Error('AADSTS700024: Client assertion is not within its valid time range.\nTrace ID: x'));
      n++;
      return Promise.resolve({ token: `t${n}-${s}`, expiresOnTimestamp: clock + HOUR });
    },
  };
  return { cred, calls, fail };
}

let clock = 0;

describe('Entra ID tokens for egress credentials', () => {
  it('fetches once per scope, refreshes 5 minutes before expiry, and keeps a valid token when the refresh fails', async () => {
    clock = 1_000_000;
    const { cred, calls, fail } = credential();
    const tokens = new EntraTokens(() => Promise.resolve(cred), () => clock);
    const scope = 'https://cognitiveservices.azure.com/.default';
    const [a, b] = await Promise.all([tokens.token(scope), tokens.token(scope)]);
    expect(a).to.equal(b);
    expect(await tokens.token('https://monitor.azure.com/.default')).to.not.equal(a);
    expect(calls).to.deep.equal([scope, 'https://monitor.azure.com/.default']);
    clock += HOUR - 5 * 60_000 - 1;
    expect(await tokens.token(scope)).to.equal(a);
    clock += 1;
    fail.now = true;
    expect(await tokens.token(scope), 'due for refresh, refresh failed, still valid').to.equal(a);
    clock += 5 * 60_000;
    const err = await tokens.token(scope).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.equal('cannot get a Microsoft Entra ID token for https://cognitiveservices.azure.com/.default: AADSTS700024: Client assertion is not within its valid time range.');
    fail.now = false;
    expect(await tokens.token(scope)).to.not.equal(a);
  });

  it('says which variables are missing and what sets them', async () => {
    expect(missingWorkloadIdentityEnv({ AZURE_CLIENT_ID: 'c' })).to.deep.equal(['AZURE_TENANT_ID', 'AZURE_FEDERATED_TOKEN_FILE']);
    const err = await workloadIdentityCredential({ AZURE_CLIENT_ID: 'c' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.include('AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE are not set').and.include('azure.workload.identity/use: "true"');
  });

  it("knows Microsoft's login hosts (instance discovery on) from others (off)", () => {
    expect(isMicrosoftAuthority(undefined)).to.equal(true);
    expect(isMicrosoftAuthority('https://login.microsoftonline.com/')).to.equal(true);
    expect(isMicrosoftAuthority('https://login.microsoftonline.us')).to.equal(true);
    expect(isMicrosoftAuthority('https://login.chinacloudapi.cn/')).to.equal(true);
    expect(isMicrosoftAuthority('https://127.0.0.1:8443')).to.equal(false);
    expect(isMicrosoftAuthority('https://adfs.azurestack.contoso.com/')).to.equal(false);
  });
});
