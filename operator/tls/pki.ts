// Certificates for the webhook server, made in-process (ECDSA P-256, SHA-256) with
// @peculiar/x509: a CA whose certificate goes into the webhook configurations' caBundle, and a
// serving certificate it signs for the webhook Service's DNS names. (The test control plane
// also uses them, with a client certificate, for its API server.)
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, X509Certificate, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** certificates start a little in the past: clocks across a cluster disagree by seconds */
const BACKDATE_MS = 5 * 60_000;

export interface KeyedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/gu, '$&\n')}-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/gu, '').replace(/\s+/gu, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

export async function createCa(commonName: string, validityMs: number, now: Date): Promise<KeyedCertificate> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: ALG,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + validityMs),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/** A serving certificate for `names` (DNS names or IP addresses), never outliving its CA. */
export async function issueServing(ca: KeyedCertificate, names: readonly string[], validityMs: number, now: Date): Promise<KeyedCertificate> {
  return issue(ca, `CN=${names[0] ?? 'mcp-residency-webhook'}`, validityMs, now, [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
  ]);
}

/** A client certificate for `subject` (e.g. `CN=admin, O=system:masters`), never outliving its CA. */
export async function issueClient(ca: KeyedCertificate, subject: string, validityMs: number, now: Date): Promise<KeyedCertificate> {
  return issue(ca, subject, validityMs, now, [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])]);
}

async function issue(ca: KeyedCertificate, subject: string, validityMs: number, now: Date, extensions: x509.Extension[]): Promise<KeyedCertificate> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = await newKeys();
  const notAfter = new Date(Math.min(now.getTime() + validityMs, caCert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    subject,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.keyPem),
    signingAlgorithm: ALG,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ...extensions,
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/** The certificates in a PEM bundle, in order. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu)?.map((b) => `${b}\n`) ?? [];
}

export interface CertificateFacts {
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: string;
  readonly fingerprint: string;
  readonly names: readonly string[];
}

export function inspect(pem: string): CertificateFacts {
  const c = new X509Certificate(pem);
  const names = (c.subjectAltName ?? '')
    .split(/,\s*/u)
    .filter(Boolean)
    .map((s) => s.replace(/^(DNS|IP Address):/u, ''));
  return { notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo), subject: c.subject, fingerprint: c.fingerprint256, names };
}

/** Whether `certPem` was signed by the CA in `caPem`. */
export function issuedBy(certPem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** Whether the private key belongs to the certificate. */
export function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
