// Secrets arrive as files laid out like a mounted Kubernetes Secret: DIR/<secretName>/<key>.
// They are read when needed and never logged; errors name the file, never its content.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DNS_SUBDOMAIN, SECRET_KEY } from '../../policy/names.ts';

export class SecretError extends Error {}

const NAME = new RegExp(DNS_SUBDOMAIN, 'u');
const KEY = new RegExp(SECRET_KEY, 'u');

export function secretPath(dir: string, name: string, key: string): string {
  // Names are validated by the policy already; checking again keeps a path out of `..`.
  if (!NAME.test(name) || !KEY.test(key) || key === '.' || key === '..') throw new SecretError(`invalid secret reference ${name}/${key}`);
  return join(dir, name, key);
}

export async function readSecret(dir: string | undefined, name: string, key: string): Promise<Buffer> {
  if (dir === undefined) throw new SecretError(`secret ${name}/${key} is needed but no --secrets-dir was given`);
  const file = secretPath(dir, name, key);
  try {
    const value = await readFile(file);
    if (value.length === 0) throw new SecretError(`secret file ${file} is empty`);
    return value;
  } catch (err) {
    if (err instanceof SecretError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new SecretError(`cannot read secret ${name}/${key} at ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`);
  }
}

/** A secret as text, without the trailing newline editors and `echo` add. */
export function secretText(value: Buffer): string {
  return value.toString('utf8').replace(/\r?\n$/u, '');
}
