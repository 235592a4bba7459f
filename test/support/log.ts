// A logger that keeps what it writes, for tests that look at what the code logged.
import { createLogger, type Logger, type LoggerOptions } from '../../lib/log.ts';

export interface MemoryLog {
  readonly logger: Logger;
  /** one entry per record written */
  readonly lines: string[];
  readonly text: () => string;
}

/** JSON at debug unless told otherwise; `echo` also gets every record (to watch a test live). */
export function memoryLogger(options: Omit<LoggerOptions, 'out'> = {}, echo?: NodeJS.WritableStream): MemoryLog {
  const lines: string[] = [];
  const out = {
    write: (s: string) => {
      lines.push(s);
      echo?.write(s);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { logger: createLogger({ level: 'debug', format: 'json', ...options, out }), lines, text: () => lines.join('') };
}
