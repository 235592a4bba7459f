// Logging for the long-running commands (sidecar, operator). One JSON object per line on
// stderr, the shape log pipelines in Kubernetes expect; a terse human form on a terminal.
// Secrets and unmasked payloads are never passed here: callers log names, counts and reasons.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export interface LoggerOptions {
  level?: Level;
  format?: 'json' | 'text';
  out?: NodeJS.WritableStream;
  fields?: Fields;
}

export function isLevel(value: string): value is Level {
  return Object.hasOwn(ORDER, value);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const out = options.out ?? process.stderr;
  const min = ORDER[options.level ?? 'info'];
  const format = options.format ?? ((out as NodeJS.WriteStream).isTTY ? 'text' : 'json');
  const base = options.fields ?? {};
  const write = (level: Level, msg: string, fields?: Fields): void => {
    if (ORDER[level] < min) return;
    const all = { ...base, ...fields };
    if (format === 'json') {
      out.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }, errorReplacer)}\n`);
    } else {
      const extras = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/u.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v, errorReplacer)}`)
        .join(' ');
      out.write(`${level.toUpperCase().padEnd(5)} ${msg}${extras ? `  ${extras}` : ''}\n`);
    }
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...options, out, format, fields: { ...base, ...fields } }),
  };
}

/** Errors serialize as their message (and code), never as an empty object or a stack. */
function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as NodeJS.ErrnoException).code;
    return code ? `${value.message} (${code})` : value.message;
  }
  return value;
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = createLogger({ level: 'error', out: { write: () => true } as unknown as NodeJS.WritableStream });
