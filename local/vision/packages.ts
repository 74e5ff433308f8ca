import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

/**
 * Where the engine's heavy packages live: local/vision-engine/ (its own package.json and lockfile,
 * installed by `npm run local:vision:install`), outside the root project so that `npm ci` stays lean.
 * They are plain JavaScript loaded with a require rooted in that folder; the few types used here
 * are declared below (the packages are not visible to the root project's TypeScript).
 */

export const DEFAULT_ENGINE_DIR = resolve(__dirname, '..', 'vision-engine');
export const INSTALL_HINT = 'npm run local:vision:install';

/** The packages the engine loads; all must be installed. */
const REQUIRED = ['nsfwjs', '@vladmandic/human', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-core'];

export function isVisionEngineInstalled(engineDir = DEFAULT_ENGINE_DIR): boolean {
  return REQUIRED.every((name) => existsSync(join(engineDir, 'node_modules', name, 'package.json')));
}

/** A file shipped inside one of the engine folder's packages (models, sample photos). */
export function packageFile(engineDir: string, packageName: string, relativePath: string): string {
  return join(engineDir, 'node_modules', packageName, relativePath);
}

export function engineRequire(engineDir = DEFAULT_ENGINE_DIR): NodeJS.Require {
  return createRequire(join(engineDir, 'package.json'));
}

// --- The slice of the TensorFlow.js and nsfwjs APIs the engine uses -------------------------------

export interface Tensor {
  readonly shape: number[];
  array(): Promise<unknown>;
  dispose(): void;
}

export interface ModelArtifacts {
  modelTopology: unknown;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

export interface IOHandler {
  load(): Promise<ModelArtifacts>;
}

export interface TfCore {
  version_core: string;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor3d(values: Int32Array, shape: [number, number, number], dtype: 'int32'): Tensor;
  tensor4d(values: Float32Array, shape: [number, number, number, number], dtype: 'float32'): Tensor;
  io: { fromMemory(artifacts: ModelArtifacts): IOHandler };
  memory(): { numTensors: number };
}

export interface TfWasm {
  setWasmPaths(prefix: string): void;
}

export interface GraphModel {
  execute(input: Tensor, outputs: string[]): Tensor;
}

export interface TfConverter {
  loadGraphModel(handler: IOHandler): Promise<GraphModel>;
}

export interface NsfwModel {
  load(): Promise<void>;
  classify(image: Tensor, topk?: number): Promise<Array<{ className: string; probability: number }>>;
}

export interface Nsfwjs {
  NSFWJS: new (handler: IOHandler, options: { size: number; type: 'graph' | 'layers' }) => NsfwModel;
}

/** A converted TF.js model file (model.json) as far as the loader needs it. */
export interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
}

export function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
