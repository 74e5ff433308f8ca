import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ServiceError } from '../services/errors';
import {
  type DetectLabelsOptions,
  type DetectLabelsResult,
  type DetectModerationLabelsResult,
  LABEL_MODEL_VERSION,
  MODERATION_MODEL_VERSION,
  selectLabels,
  selectModerationLabels,
  type VisionEngine,
} from '../services/vision';
import { type Detection, labelsFromDetections, moderationLabelsFromNsfw, type NsfwScores } from './labels';
import type { ModelAnswers, ModelReply, ModelRequest, ModelWorkerData, WorkerError } from './model-worker';
import { DEFAULT_ENGINE_DIR, INSTALL_HINT, isVisionEngineInstalled } from './packages';

export interface ModelVisionEngineOptions {
  /** The folder with the engine's package.json and node_modules (default local/vision-engine). */
  engineDir?: string;
}

/** One model worker per engine folder and process, however many engines are asked for. */
const workers = new Map<string, ModelWorker>();

/**
 * A VisionEngine that looks at the pixels: nsfwjs (MobileNetV2, bundled weights) for
 * DetectModerationLabels and the CenterNet COCO detector bundled with @vladmandic/human for
 * DetectLabels, both on the TensorFlow.js WASM backend; sharp decodes, applies the EXIF orientation
 * and downscales (inference.ts). The models run in a worker thread (model-worker.ts), so the
 * runtime's event loop, which every local service shares, stays free while a photo is judged.
 * Models load in `load`, or at the first request of a `deferred` engine (about 0.5–1 s here). The
 * worker answers one request at a time (the WASM backend is single-threaded; queuing keeps memory
 * flat under a burst of uploads).
 */
export class ModelVisionEngine implements VisionEngine {
  private constructor(private readonly worker: ModelWorker) {}

  /** Loads the models from the engine folder (installed with `npm run local:vision:install`) now. */
  static async load(options: ModelVisionEngineOptions = {}): Promise<ModelVisionEngine> {
    const engine = ModelVisionEngine.deferred(options);
    await engine.worker.load();
    return engine;
  }

  /**
   * An engine whose models load at its first request (v1 never asks, so `npm start` does not wait
   * for them); a load failure fails that request and the next one tries again.
   */
  static deferred(options: ModelVisionEngineOptions = {}): ModelVisionEngine {
    const engineDir = options.engineDir ?? DEFAULT_ENGINE_DIR;
    if (!isVisionEngineInstalled(engineDir)) {
      throw new Error(`the vision engine's packages are not installed in ${engineDir}: run ${INSTALL_HINT}`);
    }
    let worker = workers.get(engineDir);
    if (!worker) {
      worker = new ModelWorker(engineDir);
      workers.set(engineDir, worker);
    }
    return new ModelVisionEngine(worker);
  }

  /** How long loading the backend and both models took, in ms (undefined until they are loaded). */
  get loadMs(): number | undefined {
    return this.worker.loadMs;
  }

  /** Starts loading the models in the background; `onLoaded` hears how it ended. */
  preload(onLoaded: (error: Error | undefined) => void): void {
    this.worker.load().then(
      () => onLoaded(undefined),
      (error: unknown) => onLoaded(error instanceof Error ? error : new Error(String(error))),
    );
  }

  async detectModerationLabels(image: Buffer, minConfidence?: number): Promise<DetectModerationLabelsResult> {
    const scores = await this.classify(image);
    return {
      ModerationLabels: selectModerationLabels(moderationLabelsFromNsfw(scores), minConfidence),
      ModerationModelVersion: MODERATION_MODEL_VERSION,
    };
  }

  async detectLabels(image: Buffer, options: DetectLabelsOptions = {}): Promise<DetectLabelsResult> {
    const detections = await this.detect(image);
    return {
      Labels: selectLabels(labelsFromDetections(detections), options),
      LabelModelVersion: LABEL_MODEL_VERSION,
    };
  }

  /** The nsfwjs class probabilities of the oriented image (for calibration). */
  classify(image: Buffer): Promise<NsfwScores> {
    return this.worker.judge('classify', image);
  }

  /**
   * Objects in the oriented image, boxes in ratios of it: one pass over the whole frame and, for a
   * photo that is not square, passes over square tiles along its long side, merged per class.
   */
  detect(image: Buffer): Promise<Detection[]> {
    return this.worker.judge('detect', image);
  }

  /**
   * Stops the model worker (of every engine on this engine folder); requests still waiting fail. The
   * next request starts it again (and loads the models again). An idle worker never keeps the process
   * alive, so this is only needed to free its memory early (tests).
   */
  close(): Promise<void> {
    return this.worker.close();
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The main thread's side of one model worker: posts each request (the image bytes, transferred)
 * and settles its promise from the worker's reply. The worker is referenced only while a request is
 * pending, so an idle one never keeps the process alive. A worker that dies fails the requests it
 * held and is started again at the next request.
 */
class ModelWorker {
  private worker: Worker | undefined;

  private nextId = 1;

  private readonly pending = new Map<number, Pending>();

  private loading: Promise<void> | undefined;

  loadMs: number | undefined;

  constructor(private readonly engineDir: string) {}

  /** Resolves once the worker has loaded the models (at once when it has). */
  load(): Promise<void> {
    if (!this.loading) {
      const loading = this.request('load').then(({ loadMs }) => {
        this.loadMs = loadMs;
      });
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  async judge<K extends 'classify' | 'detect'>(kind: K, image: Buffer): Promise<ModelAnswers[K]> {
    await this.load();
    return this.request(kind, image);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopped(worker, new Error('the vision model worker was closed'));
    await worker.terminate();
  }

  private request<K extends keyof ModelAnswers>(kind: K, image?: Buffer): Promise<ModelAnswers[K]> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.ref();
      if (image) {
        // One copy into a buffer of its own, whose memory then moves to the worker: the caller's
        // buffer (a slice of a pool, an object S3 still holds) stays intact.
        const bytes = new Uint8Array(image);
        worker.postMessage({ id, kind, image: bytes } as ModelRequest, [bytes.buffer]);
      } else {
        worker.postMessage({ id, kind } as ModelRequest);
      }
    });
  }

  private start(): Worker {
    const worker = new Worker(join(__dirname, 'model-worker.cjs'), {
      workerData: { engineDir: this.engineDir } satisfies ModelWorkerData,
      // The worker registers tsx itself; the parent's loader flags (tsx's, jest's) stay out.
      execArgv: [],
    });
    worker.unref();
    worker.on('message', (reply: ModelReply) => this.settle(reply));
    worker.on('error', (error) => this.stopped(worker, error));
    worker.on('exit', (code) =>
      this.stopped(worker, new Error(`the vision model worker stopped (exit code ${code})`)),
    );
    this.worker = worker;
    return worker;
  }

  private settle(reply: ModelReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(errorFrom(reply.error));
  }

  /** The worker is gone: its requests fail with `error`, and the next request starts a new one. */
  private stopped(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.loading = undefined;
    this.loadMs = undefined;
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of failed) reject(error);
  }
}

function errorFrom({ message, code, statusCode }: WorkerError): Error {
  return code ? new ServiceError(code, message, statusCode) : new Error(message);
}
