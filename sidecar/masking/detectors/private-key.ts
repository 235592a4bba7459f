// SECRET: PEM private key blocks ("-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ]PRIVATE KEY-----"
// through the matching END line, PGP private key blocks too). Certificates and public keys
// are public and are left alone. A block whose END line is missing is masked to the end of
// the string: everything after a BEGIN line is key material.
import { K_PEM, type Hits } from '../hits.ts';

const BEGIN = '-----BEGIN ';

/** `i` is at a '-'. Returns the end of a private key block starting there, or -1. */
export function detectPrivateKey(s: string, i: number, hits: Hits): number {
  if (!s.startsWith(BEGIN, i)) return -1;
  const labelStart = i + BEGIN.length;
  const labelEnd = s.indexOf('-----', labelStart);
  if (labelEnd < 0 || labelEnd - labelStart > 40) return -1;
  const label = s.slice(labelStart, labelEnd);
  if (!label.endsWith('PRIVATE KEY') && !label.endsWith('PRIVATE KEY BLOCK')) return -1;
  const endLine = `-----END ${label}-----`;
  const at = s.indexOf(endLine, labelEnd + 5);
  const end = at < 0 ? s.length : at + endLine.length;
  hits.add(K_PEM, i, end);
  return end;
}
