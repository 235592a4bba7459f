// Runs the appender fixture as a separate process and collects its report lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const APPENDER = join(import.meta.dirname, '..', 'fixtures', 'appender.ts');

export interface Appender {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves when the process exits: exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves when `n` report lines starting with `prefix` have arrived. */
  waitFor(prefix: string, n: number): Promise<void>;
}

/** `shell` wraps the command: e.g. 'ulimit -f 64; exec "$@"' to run it under a file-size limit. */
export function runAppender(args: string[], options: { shell?: string; wrap?: string[] } = {}): Appender {
  const argv = [process.execPath, APPENDER, ...args];
  const full = options.wrap ? [...options.wrap, ...argv] : argv;
  const child = options.shell ? spawn('bash', ['-c', options.shell, 'appender', ...full], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(full[0]!, full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  const waiters: { prefix: string; n: number; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (lines.filter((l) => l.startsWith(w.prefix)).length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      if (buf) lines.push(buf);
      resolve({ code, signal, stderr });
    }),
  );
  return {
    child,
    lines,
    exited,
    waitFor: (prefix, n) =>
      new Promise((resolve, reject) => {
        waiters.push({ prefix, n, resolve });
        void exited.then(({ stderr: e }) => reject(new Error(`appender exited before ${n} "${prefix}" lines: ${e}`)));
        check();
      }),
  };
}
