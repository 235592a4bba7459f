// A credential plugin as kubectl runs them: a small shell script that prints an ExecCredential.
// It records what it was given (KUBERNETES_EXEC_INFO, args, one env var) and how often it ran,
// and prints answer-<run>.json when present, else answer.json (so a test can change its mind).
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ExecPlugin {
  readonly path: string;
  /** the ExecCredential printed from now on (or on run `run` only) */
  answer(doc: unknown, run?: number): Promise<void>;
  runs(): Promise<number>;
  lastInfo(): Promise<unknown>;
  lastArgs(): Promise<string>;
  lastEnv(): Promise<string>;
}

export async function writeExecPlugin(dir: string, name = 'fake-login'): Promise<ExecPlugin> {
  const path = join(dir, name);
  await writeFile(
    path,
    `#!/bin/sh
set -e
d="${dir}"
n=$(( $(cat "$d/runs" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$d/runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$d/info.json"
printf '%s' "$*" > "$d/args"
printf '%s' "$FAKE_LOGIN_TENANT" > "$d/env"
if [ -f "$d/fail" ]; then cat "$d/fail" >&2; exit 3; fi
if [ -f "$d/answer-$n.json" ]; then cat "$d/answer-$n.json"; else cat "$d/answer.json"; fi
`,
  );
  await chmod(path, 0o755);
  return {
    path,
    answer: (doc, run) => writeFile(join(dir, run === undefined ? 'answer.json' : `answer-${run}.json`), JSON.stringify(doc)),
    runs: async () => Number((await readFile(join(dir, 'runs'), 'utf8').catch(() => '0')).trim()),
    lastInfo: async () => JSON.parse(await readFile(join(dir, 'info.json'), 'utf8')) as unknown,
    lastArgs: () => readFile(join(dir, 'args'), 'utf8'),
    lastEnv: () => readFile(join(dir, 'env'), 'utf8'),
  };
}

/** The ExecCredential a plugin prints: a token, or a client certificate, with an optional expiry. */
export function execCredential(status: Record<string, string>, apiVersion = 'client.authentication.k8s.io/v1'): unknown {
  return { apiVersion, kind: 'ExecCredential', status };
}

/** A kubeconfig whose user is the exec plugin at `command`. */
export function execKubeconfig(server: string, caPem: string, exec: Record<string, unknown>, namespace?: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'u', user: { exec } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) } }],
    'current-context': 'x',
  });
}
