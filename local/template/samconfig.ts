import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { isRecord } from './types';

export class SamConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamConfigError';
  }
}

/** Option name → value, as written under `[env.command.parameters]`. */
export type SamConfigParameters = Readonly<Record<string, unknown>>;

export interface SamConfig {
  readonly path: string;
  readonly version: number | undefined;
  /** Config env → command (`global`, `deploy`, `local_start_api`, …) → parameters. */
  readonly environments: Readonly<Record<string, Readonly<Record<string, SamConfigParameters>>>>;
}

function parseConfigText(text: string, path: string): Record<string, unknown> {
  try {
    return /\.ya?ml$/i.test(path) ? (parseYaml(text) ?? {}) : parseToml(text);
  } catch (error) {
    throw new SamConfigError(
      `${path}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
}

/** Parses the text of a SAM CLI configuration file (TOML, or YAML when `path` ends in .yaml/.yml). */
export function parseSamConfig(text: string, path: string): SamConfig {
  const document = parseConfigText(text, path);
  if (!isRecord(document)) throw new SamConfigError(`${path}: expected a mapping of config envs`);
  const environments: Record<string, Record<string, SamConfigParameters>> = {};
  for (const [envName, commands] of Object.entries(document)) {
    if (envName === 'version') continue;
    if (!isRecord(commands)) throw new SamConfigError(`${path}: config env '${envName}' must be a table`);
    const parsedCommands: Record<string, SamConfigParameters> = {};
    for (const [command, body] of Object.entries(commands)) {
      const parameters = isRecord(body) ? body.parameters : undefined;
      if (!isRecord(parameters)) {
        throw new SamConfigError(`${path}: expected [${envName}.${command}.parameters]`);
      }
      parsedCommands[command] = parameters;
    }
    environments[envName] = parsedCommands;
  }
  const version = typeof document.version === 'number' ? document.version : undefined;
  return { path, version, environments };
}

/** Reads and parses a `samconfig.toml` (or `samconfig.yaml`). */
export function loadSamConfig(path: string): SamConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SamConfigError(
      `${path}: cannot read (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  return parseSamConfig(text, path);
}

function commandKey(command: string): string {
  return command.trim().replace(/[\s-]+/g, '_');
}

/**
 * The parameters a SAM CLI command gets from a config env: `[env.global.parameters]` overlaid
 * with `[env.<command>.parameters]` (the command's own values win). `command` may be written
 * as on the command line (`local start-api`) or as in the file (`local_start_api`).
 */
export function commandParameters(
  config: SamConfig,
  envName: string,
  command = 'deploy',
): SamConfigParameters {
  const environment = config.environments[envName];
  if (!environment) {
    const known = Object.keys(config.environments).join(', ') || 'none';
    throw new SamConfigError(`${config.path}: no config env '${envName}' (known: ${known})`);
  }
  return { ...environment.global, ...environment[commandKey(command)] };
}

/** What the SAM CLI unescapes in a value: a backslash before a space or a quote; others stay. */
const ESCAPABLE = new Set([' ', '"', "'"]);

/** A value wrapped in double or single quotes; the quote character is escaped with a backslash. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text.charAt(start);
  let value = '';
  let index = start + 1;
  while (index < text.length) {
    const char = text.charAt(index);
    const next = text.charAt(index + 1);
    if (char === '\\' && index + 1 < text.length) {
      value += ESCAPABLE.has(next) ? next : char + next;
      index += 2;
    } else if (char === quote) {
      return { value, end: index + 1 };
    } else {
      value += char;
      index += 1;
    }
  }
  throw new SamConfigError(`unterminated quote in parameter overrides: ${text}`);
}

function readValue(text: string, start: number): { value: string; end: number } {
  const first = text.charAt(start);
  if (first === '"' || first === "'") return readQuoted(text, start);
  let value = '';
  let index = start;
  while (index < text.length) {
    const char = text.charAt(index);
    if (/\s/.test(char)) break;
    const next = text.charAt(index + 1);
    if (char === '\\' && index + 1 < text.length) {
      value += ESCAPABLE.has(next) ? next : char + next;
      index += 2;
    } else {
      value += char;
      index += 1;
    }
  }
  return { value, end: index };
}

const KEY = /[A-Za-z0-9]+/y;

function parseOverrideString(text: string, into: Record<string, string>): void {
  let index = 0;
  while (index < text.length) {
    if (/\s/.test(text.charAt(index))) {
      index += 1;
      continue;
    }
    const longForm = text.startsWith('ParameterKey=', index);
    if (longForm) index += 'ParameterKey='.length;
    KEY.lastIndex = index;
    const key = KEY.exec(text)?.[0];
    if (!key) throw new SamConfigError(`malformed parameter overrides at '${text.slice(index)}'`);
    index += key.length;
    const separator = longForm ? ',ParameterValue=' : '=';
    if (!text.startsWith(separator, index)) {
      throw new SamConfigError(`malformed parameter overrides: expected '${separator}' after ${key}`);
    }
    const { value, end } = readValue(text, index + separator.length);
    into[key] = value;
    index = end;
  }
}

/**
 * Parses SAM CLI `parameter_overrides`: a string such as `A=1 B="x y"` (or the
 * `ParameterKey=A,ParameterValue=1` form), or a list of `KEY=VALUE` strings where each value is
 * everything after the first `=` (surrounding double quotes removed).
 */
export function parseParameterOverrides(value: unknown): Record<string, string> {
  const overrides: Record<string, string> = {};
  if (value === undefined) return overrides;
  if (typeof value === 'string') {
    parseOverrideString(value, overrides);
    return overrides;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item !== 'string' || !/^[A-Za-z0-9]+=/.test(item)) {
        throw new SamConfigError(`parameter override ${JSON.stringify(item)} must look like KEY=VALUE`);
      }
      const separator = item.indexOf('=');
      const raw = item.slice(separator + 1);
      overrides[item.slice(0, separator)] = /^(".*"|'.*')$/s.test(raw) ? readQuoted(raw, 0).value : raw;
    }
    return overrides;
  }
  throw new SamConfigError('parameter_overrides must be a string or a list of strings');
}

/** The template parameter overrides a config env gives a command (default `deploy`). */
export function parameterOverridesFor(
  config: SamConfig,
  envName: string,
  command = 'deploy',
): Record<string, string> {
  const parameters = commandParameters(config, envName, command);
  try {
    return parseParameterOverrides(parameters.parameter_overrides);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new SamConfigError(`${config.path}: [${envName}] ${detail}`);
  }
}
