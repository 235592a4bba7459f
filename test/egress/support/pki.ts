// A throw-away certificate authority for the fake providers: one CA, one serving certificate
// for every name the tests use, made by the same code that makes the operator's webhook CA.
import { createCa, issueServing } from '../../../operator/tls/pki.ts';

export interface TestPki {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const DAY_MS = 24 * 3600_000;

export async function createTestPki(names: readonly string[], caName = 'egress test CA'): Promise<TestPki> {
  const now = new Date();
  const ca = await createCa(caName, DAY_MS, now);
  const serving = await issueServing(ca, names, DAY_MS, now);
  return { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem };
}
