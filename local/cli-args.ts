/**
 * Command lines of the local tools (`npm start`, `npm run send|logs|query|alerts|replay|reset`,
 * the load test): one parser with the same friendly behaviour everywhere.
 *
 * - `--help` (or `-h`) prints the command's usage and exits 0.
 * - A negative number is a value (`--minutes -5` is read as `--minutes=-5`, and the command's
 *   own check then says what range it takes), not an unknown option.
 * - npm keeps options written before `--` for itself (`npm start --demo` sets
 *   `npm_config_demo=true` and runs the script without it); that is detected and explained.
 * - Unknown options and missing values are usage errors (exit 2) that name the option.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { StackNotRunningError, explainUnreachable, stateDirectory } from './manifest';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

export interface CommandSpec<O extends OptionsConfig> {
  /** How users run it, e.g. `npm run query` (used in messages). */
  command: string;
  /** The usage text `--help` prints. */
  help: string;
  options: O;
  allowPositionals?: boolean;
}

type Config<O extends OptionsConfig> = { args: string[]; options: O & typeof HELP_OPTION; allowPositionals: true; strict: true };
export type CommandLine<O extends OptionsConfig> = ReturnType<typeof parseArgs<Config<O>>>;

/** A command line the command cannot run with: printed with a pointer to `--help`, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_USAGE = 2;

/**
 * Parses `argv` against `spec`. Throws a UsageError for anything the command cannot take;
 * `values.help` is true when usage was asked for.
 */
export function parseCommandLine<O extends OptionsConfig>(spec: CommandSpec<O>, argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): CommandLine<O> {
  const forgotten = optionsTakenByNpm(spec, argv, env);
  if (forgotten.length > 0) {
    const lifecycle = env.npm_lifecycle_event ?? '';
    const npmCommand = lifecycle === 'start' || lifecycle === 'test' ? `npm ${lifecycle}` : `npm run ${lifecycle}`;
    throw new UsageError(
      `npm took ${forgotten.map((name) => `--${name}`).join(', ')} for itself, so ${spec.command} never saw ${forgotten.length === 1 ? 'it' : 'them'}: ` +
        `put the command's options after \`--\`, as in \`${npmCommand} -- ${forgotten.map((name) => (spec.options[name]?.type === 'string' ? `--${name} <value>` : `--${name}`)).join(' ')}\``,
    );
  }
  const args = joinNegativeValues(argv, spec.options);
  let parsed: CommandLine<O>;
  try {
    parsed = parseArgs({ args, options: { ...spec.options, ...HELP_OPTION }, allowPositionals: true, strict: true } as Config<O>);
  } catch (error) {
    throw new UsageError(friendlyParseError(error as NodeJS.ErrnoException));
  }
  if (!spec.allowPositionals && parsed.positionals.length > 0 && !(parsed.values as { help?: boolean }).help) {
    throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`);
  }
  return parsed;
}

/**
 * Options of `spec` that npm swallowed: npm turns `--name` written before `--` into the
 * environment variable `npm_config_name` and leaves it out of the script's arguments.
 */
export function optionsTakenByNpm(spec: Pick<CommandSpec<OptionsConfig>, 'options'>, argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  if (env.npm_lifecycle_event === undefined) return [];
  return Object.keys(spec.options).filter((name) => {
    const value = env[`npm_config_${name.replace(/-/g, '_')}`];
    return value !== undefined && value !== '' && !argv.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  });
}

/** `--minutes -5` → `--minutes=-5` for options that take a value, so a negative number is a value. */
export function joinNegativeValues(argv: readonly string[], options: OptionsConfig): string[] {
  const out: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const next = argv[index + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      index++;
    } else out.push(arg);
  }
  return out;
}

function friendlyParseError(error: NodeJS.ErrnoException): string {
  const message = error.message;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const option = /'([^']+)'/.exec(message)?.[1] ?? 'option';
      return `unknown option ${option}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const option = /'(--?[\w-]+)/.exec(message)?.[1] ?? 'an option';
      return message.includes('argument missing') || message.includes('ambiguous') ? `${option} needs a value` : `${option} takes no value`;
    }
    default:
      return message;
  }
}

/** An integer option within bounds, or a UsageError naming it. */
export function integerOption(raw: string | undefined, name: string, bounds: { min: number; max?: number; fallback: number }): number {
  if (raw === undefined) return bounds.fallback;
  const value = Number(raw);
  const range = bounds.max === undefined ? `of at least ${bounds.min}` : `from ${bounds.min} to ${bounds.max}`;
  if (raw.trim() === '' || !Number.isInteger(value) || value < bounds.min || (bounds.max !== undefined && value > bounds.max)) {
    throw new UsageError(`--${name} must be an integer ${range}, got "${raw}"`);
  }
  return value;
}

/** One of a fixed set of values, or a UsageError listing them. */
export function choiceOption<T extends string>(raw: string | undefined, name: string, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new UsageError(`--${name} must be ${choices.join(' or ')}, got "${raw}"`);
  return raw as T;
}

/**
 * Runs a command: parses its line, prints usage for `--help`, and turns failures into one line
 * on stderr with an exit code: 2 for usage errors, 1 for the rest. A stack that is not running
 * (no local.json, marked stopped, or nothing answering at its endpoints) says how to start it.
 */
export function runCommand<O extends OptionsConfig>(spec: CommandSpec<O>, main: (line: CommandLine<O>) => Promise<number | void>): void {
  let stateDir: string | undefined;
  const run = async (): Promise<number | void> => {
    const line = parseCommandLine(spec);
    const values = line.values as { help?: boolean; 'state-dir'?: string };
    stateDir = values['state-dir'];
    if (values.help) {
      process.stdout.write(spec.help);
      return 0;
    }
    return main(line);
  };
  run()
    .then((code) => {
      if (typeof code === 'number') process.exitCode = code;
    })
    .catch((error: unknown) => {
      const explained = explainUnreachable(error, stateDirectory(stateDir));
      if (explained instanceof UsageError) {
        process.stderr.write(`${spec.command}: ${explained.message} (see \`${helpCommand(spec.command)}\`)\n`);
        process.exitCode = EXIT_USAGE;
      } else if (explained instanceof StackNotRunningError) {
        process.stderr.write(`${explained.message}\n`);
        process.exitCode = 1;
      } else {
        process.stderr.write(`${spec.command} failed: ${(explained as Error).message ?? String(explained)}\n`);
        process.exitCode = 1;
      }
    });
}

/** `npm run query` → `npm run query -- --help`. */
export function helpCommand(command: string): string {
  return `${command} -- --help`;
}

/** A path for messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') ? relative : file;
}
