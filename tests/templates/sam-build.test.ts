/**
 * Reproduces what `sam build` does for every function of every template (SAM CLI's
 * NodejsNpmEsbuildBuilder from aws-lambda-builders), without the SAM CLI:
 *   1. copy the function's CodeUri folder to a scratch folder, leaving out .aws-sam, .git and
 *      node_modules at any depth;
 *   2. `npm install -q --no-audit --no-save --unsafe-perm --omit=dev` in the copy (SAM does not set
 *      UseNpmCi here); npm's cache is preferred so the run is quick, as on a developer's machine;
 *   3. find esbuild in `$(npm root)/.bin` of the copy (then PATH: never needed here, and not used);
 *   4. bundle each function with the esbuild flags SAM derives from its Metadata.BuildProperties
 *      (EsbuildCommandBuilder), with the copy as working directory and the entry points relative
 *      to it. Only --metafile is added, to read what each bundle contains and imports.
 * Then it checks the artifacts and the layers against the lockfiles the tests ran with.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Script } from 'node:vm';
import { loadStacks, type Stack } from './rules';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const templateFiles = readdirSync(join(root, 'templates'))
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => join(root, 'templates', name));
/** What CopySourceAction leaves out (NodejsNpmEsbuildWorkflow.EXCLUDED_FILES), at any depth. */
const EXCLUDED_FROM_COPY = new Set(['.aws-sam', '.git', 'node_modules']);

type Json = Record<string, unknown>;
interface Lockfile {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean }>;
}
interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
}
interface FunctionBuild {
  readonly where: string;
  readonly codeUri: string;
  readonly handler: string;
  readonly properties: Json;
  readonly layers: readonly string[];
}
interface Bundle {
  readonly files: string[];
  readonly code: string;
  readonly externals: string[];
  readonly bundledPackages: string[];
}

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** `EntryPoints` → `entry_points`, as SAM hands BuildProperties to aws-lambda-builders. */
function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The esbuild CLI arguments EsbuildCommandBuilder builds from the (snake_case) build options. */
function esbuildArguments(buildProperties: Json, outdir: string): string[] {
  const options = Object.fromEntries(Object.entries(buildProperties).map(([k, v]) => [snakeCase(k), v]));
  const entryPoints = options.entry_points;
  if (!Array.isArray(entryPoints) || entryPoints.length === 0)
    throw new Error('entry_points must be a non-empty list');
  const args = entryPoints.map(String);
  args.push('--bundle', '--platform=node', `--outdir=${outdir}`);
  if (!('target' in options)) args.push('--target=es2020');
  if (!('format' in options)) args.push('--format=cjs');
  if (!('minify' in options)) args.push('--minify');
  for (const name of ['minify', 'sourcemap']) if (options[name] === true) args.push(`--${name}`);
  for (const name of ['target', 'format', 'main_fields', 'sources_content'])
    if (name in options) args.push(`--${name.replace(/_/g, '-')}=${String(options[name])}`);
  for (const name of ['external', 'loader', 'out_extension', 'banner']) {
    const values = options[name];
    if (values === undefined) continue;
    if (!Array.isArray(values)) throw new Error(`${name} must be a list`);
    for (const value of values) args.push(`--${name.replace(/_/g, '-')}:${String(value)}`);
  }
  return args;
}

/** The package a module specifier names (`@aws-sdk/client-s3/dist` → `@aws-sdk/client-s3`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

const isBuiltin = (specifier: string): boolean =>
  specifier.startsWith('node:') || builtinModules.includes(packageOf(specifier));

/** Top-level packages a lockfile installs (what Lambda finds under /opt/nodejs/node_modules). */
function topLevelPackages(lock: Lockfile): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const name = path.replace(/^node_modules\//, '');
    if (path.startsWith('node_modules/') && !name.includes('/node_modules/') && entry.version)
      out.set(name, entry.version);
  }
  return out;
}

/** Every function of every template with its merged Globals, as SAM builds it. */
function functionBuilds(stacks: readonly Stack[]): FunctionBuild[] {
  const builds: FunctionBuild[] = [];
  for (const stack of stacks) {
    const globals = (
      isRecord(stack.template.Globals) && isRecord(stack.template.Globals.Function)
        ? stack.template.Globals.Function
        : {}
    ) as Json;
    const resources = (isRecord(stack.template.Resources) ? stack.template.Resources : {}) as Json;
    for (const [id, resource] of Object.entries(resources)) {
      if (!isRecord(resource) || resource.Type !== 'AWS::Serverless::Function') continue;
      const properties = (isRecord(resource.Properties) ? resource.Properties : {}) as Json;
      const metadata = (isRecord(resource.Metadata) ? resource.Metadata : {}) as Json;
      const layerOf = (value: unknown) => JSON.stringify(value);
      builds.push({
        where: `${stack.file} ${id}`,
        codeUri: resolve(dirname(stack.path), String(properties.CodeUri ?? globals.CodeUri)),
        handler: String(properties.Handler ?? globals.Handler),
        properties: (isRecord(metadata.BuildProperties) ? metadata.BuildProperties : {}) as Json,
        layers: [
          ...(Array.isArray(globals.Layers) ? globals.Layers : []),
          ...(Array.isArray(properties.Layers) ? properties.Layers : []),
        ].map(layerOf),
      });
    }
  }
  return builds;
}

/** Layer folder (ContentUri) of each output of the layers stack, e.g. SdkLayerArn → layers/sdk. */
function layerFolders(layersStack: Stack): Map<string, string> {
  const resources = layersStack.template.Resources as Record<string, { Properties?: Json }>;
  const folders = new Map<string, string>();
  for (const [name, output] of Object.entries(layersStack.template.Outputs as Record<string, Json>)) {
    const value = output.Value as { Ref?: string } | undefined;
    const contentUri = value?.Ref ? resources[value.Ref]?.Properties?.ContentUri : undefined;
    if (typeof contentUri === 'string') folders.set(name, resolve(dirname(layersStack.path), contentUri));
  }
  return folders;
}

const stacks = loadStacks(root, templateFiles, join(root, 'samconfig.toml'));
const builds = functionBuilds(stacks);
const layersStack = stacks.find((stack) => stack.file === 'templates/layers.yaml') as Stack;
const layerFolderByOutput = layerFolders(layersStack);
const rootLock = readJson<Lockfile>(join(root, 'package-lock.json'));

/** The layer folders a function's Layers entries import (by the layers stack's output names). */
function layersOf(build: FunctionBuild): string[] {
  return build.layers.map((layer) => {
    const output = [...layerFolderByOutput.keys()].find((name) => layer.includes(`-${name}`));
    if (!output) throw new Error(`${build.where}: layer ${layer} is no output of templates/layers.yaml`);
    return layerFolderByOutput.get(output) as string;
  });
}

let scratch = '';
/** CodeUri folder → its scratch copy, after `npm install`, and the esbuild in `$(npm root)/.bin` there. */
const copies = new Map<string, { copy: string; esbuild: string }>();
/** Function (where) → its bundle. */
const bundles = new Map<string, Bundle>();

async function buildFunction(
  build: FunctionBuild,
  { copy, esbuild }: { copy: string; esbuild: string },
  outdir: string,
): Promise<Bundle> {
  if (!existsSync(esbuild)) throw new Error(`${build.where}: no esbuild in ${relative(scratch, esbuild)}`);
  const metafile = join(outdir, '..', `${basename(outdir)}.meta.json`);
  mkdirSync(outdir, { recursive: true });
  await run(
    esbuild,
    [...esbuildArguments(build.properties, outdir), `--metafile=${metafile}`, '--log-level=error'],
    {
      cwd: copy,
    },
  );
  const meta = readJson<Metafile>(metafile);
  const files = readdirSync(outdir).sort();
  const js = files.find((file) => file.endsWith('.js'));
  return {
    files,
    code: js ? readFileSync(join(outdir, js), 'utf8') : '',
    externals: Object.values(meta.outputs).flatMap((output) =>
      output.imports.filter((item) => item.external).map((item) => item.path),
    ),
    bundledPackages: [
      ...new Set(
        Object.keys(meta.inputs)
          .filter((input) => input.includes('node_modules/'))
          .map((input) =>
            packageOf(input.slice(input.lastIndexOf('node_modules/') + 'node_modules/'.length)),
          ),
      ),
    ],
  };
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'sam-build-'));
  for (const codeUri of new Set(builds.map((build) => build.codeUri))) {
    const copy = join(scratch, `copy-${copies.size}`);
    cpSync(codeUri, copy, { recursive: true, filter: (source) => !EXCLUDED_FROM_COPY.has(basename(source)) });
    await run(
      'npm',
      [
        'install',
        '-q',
        '--no-audit',
        '--no-fund',
        '--no-save',
        '--unsafe-perm',
        '--omit=dev',
        '--prefer-offline',
      ],
      { cwd: copy },
    );
    // `npm root` answers the same for every function of a copy: asked once per copy.
    const { stdout } = await run('npm', ['root'], { cwd: copy });
    copies.set(codeUri, { copy, esbuild: join(stdout.trim(), '.bin', 'esbuild') });
  }
  // One bundle per distinct CodeUri + BuildProperties (the workflow versions share functions), two at a time.
  const byKey = new Map<string, Promise<Bundle>>();
  const queue = [...builds];
  const workers = [0, 1].map(async () => {
    for (let build = queue.shift(); build; build = queue.shift()) {
      const key = JSON.stringify([build.codeUri, build.properties]);
      if (!byKey.has(key)) {
        const copy = copies.get(build.codeUri) as { copy: string; esbuild: string };
        byKey.set(key, buildFunction(build, copy, join(scratch, 'artifacts', String(byKey.size))));
      }
      bundles.set(build.where, await (byKey.get(key) as Promise<Bundle>));
    }
  });
  await Promise.all(workers);
}, 240_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const bundleOf = (build: FunctionBuild): Bundle => bundles.get(build.where) as Bundle;

describe('sam build, reproduced: copy CodeUri, npm install --omit=dev, esbuild with BuildProperties', () => {
  it('builds every function of every template from functions/, not from the repository root', () => {
    expect(builds.length).toBeGreaterThan(10);
    for (const build of builds) {
      expect({ where: build.where, codeUri: relative(root, build.codeUri) }).toEqual({
        where: build.where,
        codeUri: 'functions',
      });
    }
  });

  it('installs exactly the lockfile of the CodeUri folder, esbuild included, in the copy', () => {
    for (const [codeUri, { copy }] of copies) {
      const lock = readJson<Lockfile>(join(codeUri, 'package-lock.json'));
      for (const [name, version] of topLevelPackages(lock)) {
        const installed = join(copy, 'node_modules', name, 'package.json');
        const optional = lock.packages[`node_modules/${name}`]?.optional === true;
        if (optional && !existsSync(installed)) continue; // another platform's binary
        expect({
          name,
          version: existsSync(installed) ? readJson<{ version: string }>(installed).version : null,
        }).toEqual({ name, version });
      }
      expect(existsSync(join(copy, 'node_modules', '.bin', 'esbuild'))).toBe(true);
    }
  });

  it('writes one CommonJS bundle per function with its source map, named after the entry as Handler says', () => {
    for (const build of builds) {
      const bundle = bundleOf(build);
      const module = build.handler.replace(/\.[^.]+$/, '');
      expect({ where: build.where, files: bundle.files }).toEqual({
        where: build.where,
        files: [`${module}.js`, `${module}.js.map`],
      });
      // A script (CommonJS) compiles; an ES module's import/export statements would not.
      expect(() => new Script(bundle.code, { filename: `${module}.js` })).not.toThrow();
      expect({
        where: build.where,
        exportsHandler: /module\.exports\s*=/.test(bundle.code) && /\bhandler:\s*\(\)\s*=>/.test(bundle.code),
      }).toEqual({
        where: build.where,
        exportsHandler: true,
      });
    }
  });

  it('keeps @aws-sdk/* and sharp out of every bundle, and bundles nothing else as external', () => {
    for (const build of builds) {
      const bundle = bundleOf(build);
      const wrong = bundle.externals.filter(
        (path) => !isBuiltin(path) && !path.startsWith('@aws-sdk/') && packageOf(path) !== 'sharp',
      );
      expect({ where: build.where, wrongExternals: wrong }).toEqual({
        where: build.where,
        wrongExternals: [],
      });
      const inlined = bundle.bundledPackages.filter(
        (name) => name.startsWith('@aws-sdk/') || name === 'sharp',
      );
      expect({ where: build.where, inlined }).toEqual({ where: build.where, inlined: [] });
    }
  });

  it('finds every package a bundle imports but does not contain in a layer the function uses', () => {
    for (const build of builds) {
      const provided = new Set(
        layersOf(build).flatMap((folder) => [
          ...topLevelPackages(readJson<Lockfile>(join(folder, 'package-lock.json'))).keys(),
        ]),
      );
      const missing = bundleOf(build)
        .externals.filter((path) => !isBuiltin(path))
        .map(packageOf)
        .filter((name) => !provided.has(name));
      expect({ where: build.where, missing }).toEqual({ where: build.where, missing: [] });
    }
  });

  it('ships in each layer only packages some function bundle imports', () => {
    const imported = new Set(builds.flatMap((build) => bundleOf(build).externals.map(packageOf)));
    for (const folder of new Set(layerFolderByOutput.values())) {
      const manifest = readJson<{ dependencies?: Record<string, string> }>(join(folder, 'package.json'));
      const unused = Object.keys(manifest.dependencies ?? {}).filter((name) => !imported.has(name));
      expect({ layer: relative(root, folder), unused }).toEqual({
        layer: relative(root, folder),
        unused: [],
      });
    }
  });

  it('locks every layer and the functions folder to the versions of the root package-lock.json the tests ran with', () => {
    const folders = [...new Set([...layerFolderByOutput.values(), ...builds.map((build) => build.codeUri)])];
    for (const folder of folders) {
      const lock = readJson<Lockfile>(join(folder, 'package-lock.json'));
      const manifest = readJson<{ dependencies?: Record<string, string> }>(join(folder, 'package.json'));
      const differing = Object.entries(lock.packages)
        .filter(([path]) => path !== '')
        .filter(([path, entry]) => rootLock.packages[path]?.version !== entry.version)
        .map(
          ([path, entry]) => `${path} ${entry.version} (root: ${rootLock.packages[path]?.version ?? 'none'})`,
        );
      expect({ folder: relative(root, folder), differing }).toEqual({
        folder: relative(root, folder),
        differing: [],
      });
      // The lockfile was made from this package.json (npm ci refuses one that is out of sync).
      const lockedRoot = lock.packages[''] as { dependencies?: Record<string, string> } | undefined;
      expect({ folder: relative(root, folder), locked: lockedRoot?.dependencies }).toEqual({
        folder: relative(root, folder),
        locked: manifest.dependencies,
      });
    }
  });

  it("includes the sharp layer's linux-arm64 binaries in its lockfile, whatever machine wrote it", () => {
    const folder = [...layerFolderByOutput.values()].find((candidate) =>
      candidate.endsWith('sharp'),
    ) as string;
    const lock = readJson<Lockfile>(join(folder, 'package-lock.json'));
    expect(Object.keys(lock.packages)).toEqual(
      expect.arrayContaining([
        'node_modules/@img/sharp-linux-arm64',
        'node_modules/@img/sharp-libvips-linux-arm64',
      ]),
    );
  });
});
