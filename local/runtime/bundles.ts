import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { BuildOptions, Metafile } from 'esbuild';

/**
 * A function's esbuild build as its template declares it (`Metadata.BuildMethod: esbuild`): the
 * `BuildProperties` are read as `sam build` reads them (aws-lambda-builders' esbuild workflow),
 * with EntryPoints relative to the function's CodeUri.
 */
export interface BuildSpec {
  /** Absolute path of the function's CodeUri folder. */
  codeUri: string;
  /** `Metadata.BuildProperties`, as written in the template. */
  properties: Record<string, unknown>;
}

/** A template's BuildProperties the local build cannot honour (unknown key, wrong type). */
export class BuildPropertiesError extends Error {
  override readonly name = 'BuildPropertiesError';
}

/** The function's code failed to build: Lambda would never have had this code. */
export class BundleBuildError extends Error {
  override readonly name = 'BundleBuildError';
}

const KNOWN_PROPERTIES = new Set([
  'EntryPoints',
  'External',
  'Target',
  'Minify',
  'Sourcemap',
  'SourcesContent',
  'Format',
  'Loader',
  'MainFields',
  'OutExtension',
  'Banner',
  'Footer',
]);

function list(properties: Record<string, unknown>, key: string): string[] | undefined {
  const value = properties[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.split(',').map((item) => item.trim());
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw new BuildPropertiesError(`BuildProperties.${key} must be a list of strings`);
}

function flag(properties: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = properties[key];
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new BuildPropertiesError(`BuildProperties.${key} must be true or false`);
}

/** `key=value` items (Loader, OutExtension, Banner, Footer) as an object. */
function pairs(properties: Record<string, unknown>, key: string): Record<string, string> | undefined {
  const items = list(properties, key);
  if (!items) return undefined;
  return Object.fromEntries(
    items.map((item) => {
      const at = item.indexOf('=');
      if (at <= 0)
        throw new BuildPropertiesError(`BuildProperties.${key} items must be key=value, not ${item}`);
      return [item.slice(0, at), item.slice(at + 1)];
    }),
  );
}

/**
 * esbuild options for a BuildSpec, with the defaults aws-lambda-builders applies when a property
 * is absent: bundle for node, CommonJS, target es2020, minified.
 */
export function esbuildOptions(spec: BuildSpec, outdir: string): BuildOptions {
  const { properties } = spec;
  for (const key of Object.keys(properties)) {
    if (!KNOWN_PROPERTIES.has(key))
      throw new BuildPropertiesError(
        `BuildProperties.${key} is not an esbuild property sam build knows (${[...KNOWN_PROPERTIES].join(', ')})`,
      );
  }
  const entryPoints = list(properties, 'EntryPoints');
  if (!entryPoints || entryPoints.length === 0)
    throw new BuildPropertiesError('BuildProperties.EntryPoints names no entry point');
  const format = properties.Format ?? 'cjs';
  if (format !== 'cjs' && format !== 'esm')
    throw new BuildPropertiesError('BuildProperties.Format must be cjs or esm');
  const loader = pairs(properties, 'Loader');
  const outExtension = pairs(properties, 'OutExtension');
  const banner = pairs(properties, 'Banner');
  const footer = pairs(properties, 'Footer');
  const mainFields = list(properties, 'MainFields');
  return {
    entryPoints: entryPoints.map((entry) => resolve(spec.codeUri, entry)),
    absWorkingDir: spec.codeUri,
    bundle: true,
    platform: 'node',
    format,
    target: list(properties, 'Target') ?? ['es2020'],
    minify: flag(properties, 'Minify', true),
    sourcemap: flag(properties, 'Sourcemap', false),
    ...(properties.SourcesContent === undefined
      ? {}
      : { sourcesContent: flag(properties, 'SourcesContent', true) }),
    external: list(properties, 'External') ?? [],
    ...(loader ? { loader: loader as BuildOptions['loader'] } : {}),
    ...(outExtension ? { outExtension } : {}),
    ...(banner ? { banner } : {}),
    ...(footer ? { footer } : {}),
    ...(mainFields ? { mainFields } : {}),
    outdir,
    metafile: true,
    logLevel: 'silent',
  };
}

interface Manifest {
  /** Every input file of the last build with its size and modification time. */
  inputs: Record<string, string>;
}

function fingerprint(file: string): string {
  try {
    const stats = statSync(file);
    return `${stats.size}:${stats.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function upToDate(directory: string): boolean {
  const manifestFile = join(directory, 'manifest.json');
  if (!existsSync(manifestFile)) return false;
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    return Object.entries(manifest.inputs).every(([file, print]) => fingerprint(file) === print);
  } catch {
    return false;
  }
}

/**
 * Builds function bundles on demand and keeps them on disk under `directory`: one folder per
 * distinct build (keyed by a hash of the esbuild options), rebuilt when any input file of the last
 * build changed (size or modification time). Concurrent requests for one build share it; several
 * runtimes may share the folder (a build is written aside and renamed into place).
 */
export class BundleCache {
  private readonly building = new Map<string, Promise<string>>();

  constructor(private readonly directory: string) {}

  /** The folder holding the built code (Lambda's task root) for `spec`. */
  bundle(spec: BuildSpec): Promise<string> {
    const probe = esbuildOptions(spec, '');
    const key = createHash('sha256').update(JSON.stringify(probe)).digest('hex').slice(0, 16);
    const name = `${basename(String((probe.entryPoints as string[])[0])).replace(/\.[^.]+$/, '')}-${key}`;
    const running = this.building.get(name);
    if (running) return running;
    const build = this.build(spec, join(this.directory, name)).finally(() => this.building.delete(name));
    this.building.set(name, build);
    return build;
  }

  private async build(spec: BuildSpec, target: string): Promise<string> {
    if (upToDate(target)) return target;
    const esbuild = await import('esbuild');
    const scratch = `${target}.building-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    let metafile: Metafile | undefined;
    try {
      ({ metafile } = await esbuild.build(esbuildOptions(spec, scratch)));
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      const messages = (
        error as { errors?: Array<{ text: string; location?: { file: string; line: number } }> }
      ).errors;
      const detail = messages?.length
        ? messages
            .map((m) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text))
            .join('; ')
        : (error as Error).message;
      throw new BundleBuildError(`esbuild failed: ${detail}`);
    }
    const inputs = Object.fromEntries(
      Object.keys(metafile?.inputs ?? {}).map((input) => {
        const file = resolve(spec.codeUri, input);
        return [file, fingerprint(file)];
      }),
    );
    writeFileSync(join(scratch, 'manifest.json'), JSON.stringify({ inputs } satisfies Manifest));
    // Another runtime sharing the cache may have built the same inputs meanwhile: keep its copy.
    if (upToDate(target)) {
      rmSync(scratch, { recursive: true, force: true });
      return target;
    }
    rmSync(target, { recursive: true, force: true });
    try {
      renameSync(scratch, target);
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      if (!upToDate(target)) throw error;
    }
    return target;
  }
}
