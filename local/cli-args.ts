/**
 * The one argument parser of the local command-line tools (`npm start`, `npm run local`, `demo`,
 * `demo:gdpr`, `token`, `env-json`): node:util parseArgs in strict mode, so an unknown option,
 * a missing value or a stray argument is refused before anything loads, with the usage; `--help`
 * (or `-h`) prints the usage and exits 0. Option values are checked here too (ports, choices,
 * directories), so a bad value fails at once with a message naming the option.
 */
import { existsSync, statSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isVisionMode, VISION_MODES, type VisionMode } from './vision/choose';
import { INSTALL_HINT, isVisionEngineInstalled } from './vision/packages';

/** A command line the tool cannot run: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandLine<T extends Options> {
  usage: string;
  options: T;
  /** How many positional arguments the tool takes (default none). */
  positionals?: { min: number; max: number; names?: string };
}

/**
 * Parses `args` (default: process.argv after the script) against `line`. `--help` prints the
 * usage and exits 0; anything else wrong throws a UsageError carrying the usage.
 */
export function parseCommandLine<T extends Options>(line: CommandLine<T>, args = process.argv.slice(2)) {
  const parse = () =>
    parseArgs({
      args,
      options: { ...line.options, help: { type: 'boolean', short: 'h' } } as T,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${line.usage}`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(line.usage);
    process.exit(0);
  }
  const { min, max } = line.positionals ?? { min: 0, max: 0 };
  const count = parsed.positionals.length;
  if (count > max) {
    const extra = parsed.positionals.slice(max).join(' ');
    throw new UsageError(`unexpected argument${count - max > 1 ? 's' : ''}: ${extra}\n${line.usage}`);
  }
  if (count < min) throw new UsageError(`missing ${line.positionals?.names ?? 'argument'}\n${line.usage}`);
  return parsed;
}

/** A TCP port (0 = any free port); anything else is a UsageError naming the option. */
export function portOption(name: string, value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65_535))
    throw new UsageError(`--${name} must be a port number (0–65535), not ${value}`);
  return port;
}

/** One of `choices`, or a UsageError listing them. */
export function choiceOption<C extends string>(name: string, value: string, choices: readonly C[]): C {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be ${choices.join(', ')}; not ${value}`);
  }
  return value as C;
}

/** A directory that must exist already (data to read); a UsageError says it does not. */
export function existingDirectory(name: string, path: string, hint: string): string {
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new UsageError(`--${name} ${path}: no such directory (${hint})`);
  }
  return path;
}

/** `--vision`: `model` needs the local vision engine installed, and says how to install it. */
export function visionOption(value: string | undefined, engineDir?: string): VisionMode | undefined {
  if (value === undefined) return undefined;
  if (!isVisionMode(value))
    throw new UsageError(`--vision must be ${VISION_MODES.join(' or ')}, not ${value}`);
  if (value === 'model' && !isVisionEngineInstalled(engineDir)) {
    throw new UsageError(`--vision model needs the local vision engine; install it with \`${INSTALL_HINT}\``);
  }
  return value;
}

/**
 * Runs a tool's main: a UsageError prints its message (exit 2), any other error `<tool> failed:`
 * and its message (exit 1); a returned number is the exit code.
 */
export function runCommand(tool: string, main: () => Promise<number | undefined> | number | undefined): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        if (code !== undefined) process.exit(code);
      },
      (error: unknown) => {
        if (error instanceof UsageError) {
          console.error(error.message);
          process.exit(2);
        }
        console.error(`${tool} failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
}
