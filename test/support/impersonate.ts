// Kubeconfigs that act as other users (the admin impersonating them, like kubectl --as), so a
// test can show what the API server and the operator's webhooks let each of them do.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlPlane } from './controlplane.ts';

/** user -> groups in; user -> kubeconfig file out (written into `dir`). */
export async function impersonatingKubeconfigs(cp: ControlPlane, dir: string, users: Readonly<Record<string, readonly string[]>>): Promise<Record<string, string>> {
  const base = await readFile(cp.kubeconfigPath, 'utf8');
  const out: Record<string, string> = {};
  for (const [user, groups] of Object.entries(users)) {
    const file = join(dir, `kubeconfig-${user}`);
    await writeFile(file, base.replace(/(client-key-data: .*)/u, `$1\n    as: ${user}\n    as-groups: [${groups.join(', ')}]`));
    out[user] = file;
  }
  return out;
}
