// A small command framework over node:util parseArgs: every command declares its flags once,
// and gets --help, environment fallbacks (MCP_RESIDENCY_<FLAG>) and usage errors from that.
import { parseArgs } from 'node:util';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly help: string;
  /** Shown in help: --policy FILE. */
  readonly value?: string;
  readonly default?: string;
  readonly short?: string;
  readonly required?: boolean;
  /** Collect every occurrence. */
  readonly multiple?: boolean;
}

export interface CommandIO {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
}

export type FlagValues<F extends Record<string, FlagSpec>> = {
  [K in keyof F]: F[K]['type'] extends 'boolean'
    ? boolean
    : F[K]['multiple'] extends true
      ? string[]
      : F[K]['required'] extends true
        ? string
        : F[K]['default'] extends string
          ? string
          : string | undefined;
};

export interface Command<F extends Record<string, FlagSpec> = Record<string, FlagSpec>> {
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  /** Positional arguments, e.g. "FILE..." ; omit when the command takes none. */
  readonly args?: { readonly name: string; readonly min: number; readonly max?: number };
  readonly flags: F;
  readonly examples?: readonly string[];
  run(input: { flags: FlagValues<F>; args: string[]; io: CommandIO }): Promise<number>;
}

export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly (Command | CommandGroup)[];
}

/** Lets TypeScript infer flag types from the declaration. */
export function defineCommand<const F extends Record<string, FlagSpec>>(command: Command<F>): Command {
  return command;
}

export class UsageError extends Error {}

/** A failure the user can act on: printed as one line, no stack. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function envName(flag: string): string {
  return `MCP_RESIDENCY_${flag.replace(/-/gu, '_').toUpperCase()}`;
}

function isGroup(c: Command | CommandGroup): c is CommandGroup {
  return 'commands' in c;
}

/**
 * The executable's entry: dispatch, then any error as one line on stderr (the stack only with
 * MCP_RESIDENCY_DEBUG); returns the exit code.
 */
export async function runMain(root: CommandGroup, argv: readonly string[], io: CommandIO): Promise<number> {
  try {
    return await dispatch(root, argv, io);
  } catch (err) {
    // Users get one line; the stack only when they ask for it.
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`mcp-residency: ${message}\n`);
    if (io.env.MCP_RESIDENCY_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

/** Runs argv against a command tree; returns the exit code. */
export async function dispatch(root: CommandGroup, argv: readonly string[], io: CommandIO, prefix = root.name): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(groupHelp(root, prefix));
    return first === undefined ? 2 : 0;
  }
  const sub = root.commands.find((c) => c.name === first);
  if (sub === undefined) {
    io.stderr.write(`${prefix}: unknown command "${first}"\n\n${groupHelp(root, prefix)}`);
    return 2;
  }
  if (isGroup(sub)) return dispatch(sub, rest, io, `${prefix} ${sub.name}`);
  return runCommand(sub, rest, io, `${prefix} ${sub.name}`);
}

async function runCommand(cmd: Command, argv: readonly string[], io: CommandIO, fullName: string): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(commandHelp(cmd, fullName));
    return 0;
  }
  let flags: Record<string, unknown>;
  let args: string[];
  try {
    ({ flags, args } = parse(cmd, argv, io.env));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr.write(`${fullName}: ${message}\nRun '${fullName} --help' for usage.\n`);
    return 2;
  }
  return cmd.run({ flags: flags as FlagValues<Record<string, FlagSpec>>, args, io });
}

function parse(cmd: Command, argv: readonly string[], env: NodeJS.ProcessEnv): { flags: Record<string, unknown>; args: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(cmd.flags)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs messages are good but mention internals ("ERR_PARSE_ARGS_..."); keep the sentence.
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/su, ''));
  }
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(cmd.flags)) {
    let value: unknown = parsed.values[name];
    const fromEnv = env[envName(name)];
    if (value === undefined && fromEnv !== undefined && fromEnv !== '') {
      value = spec.type === 'boolean' ? /^(1|true|yes|on)$/iu.test(fromEnv) : spec.multiple ? fromEnv.split(',') : fromEnv;
    }
    if (value === undefined) value = spec.type === 'boolean' ? false : spec.multiple ? [] : spec.default;
    if (spec.required && (value === undefined || value === '')) {
      throw new UsageError(`--${name} is required (or set ${envName(name)})`);
    }
    flags[name] = value;
  }
  const args = parsed.positionals;
  const a = cmd.args;
  if (a === undefined && args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
  if (a !== undefined && args.length < a.min) throw new UsageError(`missing ${a.name}`);
  if (a?.max !== undefined && args.length > a.max) throw new UsageError(`too many arguments; expected ${a.name}`);
  return { flags, args };
}

function groupHelp(group: CommandGroup, prefix: string): string {
  const rows = group.commands.map((c) => [c.name, c.summary] as const);
  const width = Math.max(...rows.map(([n]) => n.length));
  return [
    `${group.summary}`,
    '',
    `Usage: ${prefix} <command> [flags]`,
    '',
    'Commands:',
    ...rows.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    '',
    `Run '${prefix} <command> --help' for a command's flags.`,
    '',
  ].join('\n');
}

export function commandHelp(cmd: Command, fullName: string): string {
  const flagRows: [string, string][] = Object.entries(cmd.flags).map(([name, spec]): [string, string] => {
    const left = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    const extras = [
      spec.required ? 'required' : undefined,
      spec.default !== undefined ? `default ${spec.default}` : undefined,
      `env ${envName(name)}`,
    ].filter(Boolean);
    return [left, `${spec.help} (${extras.join('; ')})`];
  });
  flagRows.push(['-h, --help', 'show this help']);
  const width = Math.max(...flagRows.map(([l]) => l.length));
  const usageFlags = Object.entries(cmd.flags)
    .map(([name, spec]) => {
      const f = `--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
      return spec.required ? f : `[${f}]`;
    })
    .join(' ');
  const lines = [
    cmd.summary,
    '',
    `Usage: ${fullName}${cmd.args ? ` ${cmd.args.name}` : ''}${usageFlags ? ` ${usageFlags}` : ''}`,
  ];
  if (cmd.description) lines.push('', cmd.description.trim());
  lines.push('', 'Flags:', ...flagRows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`));
  if (cmd.examples?.length) lines.push('', 'Examples:', ...cmd.examples.map((e) => `  ${e}`));
  lines.push('');
  return lines.join('\n');
}
