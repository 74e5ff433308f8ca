import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
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
import {
  COCO_CLASSES,
  type Detection,
  labelsFromDetections,
  mergeDetections,
  moderationLabelsFromNsfw,
  type NsfwScores,
} from './labels';
import {
  DEFAULT_ENGINE_DIR,
  engineRequire,
  type GraphModel,
  INSTALL_HINT,
  isVisionEngineInstalled,
  type ModelJson,
  type Nsfwjs,
  type NsfwModel,
  packageFile,
  type TfConverter,
  type TfCore,
  type TfWasm,
  toArrayBuffer,
} from './packages';

/** The detector's input: the oriented image (or a tile of it) stretched to 512×512, RGB 0–255. */
const DETECTOR_SIZE = 512;
/** nsfwjs MobileNetV2 input, 224×224 RGB (the model stretches other sizes to this itself). */
const NSFW_SIZE = 224;
/** Detections below this raw score are dropped before merging (calibrated Person: 37.7). */
const DETECTION_FLOOR = 0.1;
/** Tiles along the long side of a non-square photo: at most this many. */
const MAX_TILES = 8;
/** Before tiling, the oriented image is shrunk (on load) to at most this short side. */
const WORKING_SHORT_SIDE = 1024;
/** The nsfwjs model: the larger of its two MobileNetV2 models (see README: fewer false positives). */
const NSFW_MODEL_DIR = 'dist/models/mobilenet_v2_mid';

export interface ModelVisionEngineOptions {
  /** The folder with the engine's package.json and node_modules (default local/vision-engine). */
  engineDir?: string;
}

interface Models {
  tf: TfCore;
  detector: GraphModel;
  nsfw: NsfwModel;
  loadMs: number;
}

interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Loading is once per engine folder and process, however many engines are asked for. */
const loaded = new Map<string, Promise<Models>>();

/**
 * A VisionEngine that looks at the pixels: nsfwjs (MobileNetV2, bundled weights) for
 * DetectModerationLabels and the CenterNet COCO detector bundled with @vladmandic/human for
 * DetectLabels, both on the TensorFlow.js WASM backend; sharp decodes, applies the EXIF orientation
 * and downscales. Models load in `load`, or at the first request of a `deferred` engine (about 0.5–1 s here). Inference runs one request at a
 * time (the WASM backend is single-threaded; queuing keeps memory flat under a burst of uploads).
 */
export class ModelVisionEngine implements VisionEngine {
  private queue: Promise<unknown> = Promise.resolve();

  private loadedModels: Models | undefined;

  private constructor(private readonly engineDir: string) {}

  /** Loads the models from the engine folder (installed with `npm run local:vision:install`) now. */
  static async load(options: ModelVisionEngineOptions = {}): Promise<ModelVisionEngine> {
    const engine = ModelVisionEngine.deferred(options);
    await engine.models();
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
    return new ModelVisionEngine(engineDir);
  }

  /** How long loading the backend and both models took, in ms (undefined until they are loaded). */
  get loadMs(): number | undefined {
    return this.loadedModels?.loadMs;
  }

  /** Starts loading the models in the background; `onLoaded` hears how it ended. */
  preload(onLoaded: (error: Error | undefined) => void): void {
    this.models().then(
      () => onLoaded(undefined),
      (error: unknown) => onLoaded(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private async models(): Promise<Models> {
    if (this.loadedModels) return this.loadedModels;
    let models = loaded.get(this.engineDir);
    if (!models) {
      models = loadModels(this.engineDir);
      loaded.set(this.engineDir, models);
      models.catch(() => loaded.delete(this.engineDir));
    }
    this.loadedModels = await models;
    return this.loadedModels;
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
    return this.serially(async () => {
      const pixels = await decode(image, (pipeline) =>
        pipeline.resize(NSFW_SIZE, NSFW_SIZE, { fit: 'fill' }).raw().toBuffer(),
      );
      const { tf, nsfw } = await this.models();
      const input = tf.tensor3d(Int32Array.from(pixels), [NSFW_SIZE, NSFW_SIZE, 3], 'int32');
      try {
        const predictions = await nsfw.classify(input, 5);
        const scores: NsfwScores = { Drawing: 0, Hentai: 0, Neutral: 0, Porn: 0, Sexy: 0 };
        for (const { className, probability } of predictions) {
          if (className in scores) scores[className as keyof NsfwScores] = probability;
        }
        return scores;
      } finally {
        input.dispose();
      }
    });
  }

  /**
   * Objects in the oriented image, boxes in ratios of it: one pass over the whole frame and, for a
   * photo that is not square, passes over square tiles along its long side (people too small or too
   * squeezed in the whole frame show up there), merged per class.
   */
  detect(image: Buffer): Promise<Detection[]> {
    return this.serially(async () => {
      const models = await this.models();
      const { data, info } = await decode(image, (pipeline) =>
        pipeline
          .resize(WORKING_SHORT_SIDE, WORKING_SHORT_SIDE, { fit: 'outside', withoutEnlargement: true })
          .raw()
          .toBuffer({ resolveWithObject: true }),
      );
      const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
      const detections: Detection[] = [];
      for (const region of regionsOf(info.width, info.height)) {
        const pixels = await sharp(data, raw)
          .extract(region)
          .resize(DETECTOR_SIZE, DETECTOR_SIZE, { fit: 'fill' })
          .raw()
          .toBuffer();
        for (const found of await this.runDetector(models, pixels)) {
          detections.push({
            ...found,
            box: {
              Left: (region.left + found.box.Left * region.width) / info.width,
              Top: (region.top + found.box.Top * region.height) / info.height,
              Width: (found.box.Width * region.width) / info.width,
              Height: (found.box.Height * region.height) / info.height,
            },
          });
        }
      }
      return mergeDetections(detections);
    });
  }

  /** CenterNet on one 512×512 RGB input: its top-100 peaks [x1, y1, x2, y2, score, class] in input pixels. */
  private async runDetector(models: Models, pixels: Buffer): Promise<Detection[]> {
    const { tf, detector } = models;
    const input = tf.tensor4d(Float32Array.from(pixels), [1, DETECTOR_SIZE, DETECTOR_SIZE, 3], 'float32');
    let output: { dispose(): void; array(): Promise<unknown> } | undefined;
    try {
      output = detector.execute(input, ['tower_0/detections']);
      const [rows = []] = (await output.array()) as number[][][];
      const detections: Detection[] = [];
      for (const [x1 = 0, y1 = 0, x2 = 0, y2 = 0, score = 0, classIndex = Number.NaN] of rows) {
        const cocoClass = COCO_CLASSES[classIndex];
        if (score < DETECTION_FLOOR || cocoClass === undefined) continue;
        const left = clamp(x1 / DETECTOR_SIZE);
        const top = clamp(y1 / DETECTOR_SIZE);
        const box = {
          Left: left,
          Top: top,
          Width: clamp(x2 / DETECTOR_SIZE) - left,
          Height: clamp(y2 / DETECTOR_SIZE) - top,
        };
        if (box.Width > 0 && box.Height > 0) detections.push({ cocoClass, score, box });
      }
      return detections;
    } finally {
      input.dispose();
      output?.dispose();
    }
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

const clamp = (ratio: number) => Math.min(1, Math.max(0, ratio));

/**
 * Decodes once (shrink-on-load where the output allows), applies the EXIF orientation and yields
 * 3-channel sRGB. Lenient with damaged files, as Rekognition is: the workflow's own checks judge
 * corruption. What sharp cannot read at all is Rekognition's InvalidImageFormatException.
 */
async function decode<T>(image: Buffer, finish: (pipeline: Sharp) => Promise<T>): Promise<T> {
  try {
    return await finish(sharp(image, { failOn: 'none' }).rotate().removeAlpha().toColourspace('srgb'));
  } catch {
    throw new ServiceError('InvalidImageFormatException', 'Request has invalid image format');
  }
}

/** The whole frame, then (for a photo at least 15% longer than wide, or the reverse) overlapping tiles. */
export function regionsOf(width: number, height: number): Region[] {
  const whole: Region = { left: 0, top: 0, width, height };
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  if (long < short * 1.15) return [whole];
  const count = Math.min(MAX_TILES, Math.ceil(long / short));
  const length = Math.min(long, Math.max(short, Math.round((long / count) * 1.25)));
  const tiles: Region[] = [];
  for (let index = 0; index < count; index++) {
    const offset = Math.round(((long - length) * index) / (count - 1));
    tiles.push(
      width >= height
        ? { left: offset, top: 0, width: length, height }
        : { left: 0, top: offset, width, height: length },
    );
  }
  return [whole, ...tiles];
}

async function loadModels(engineDir: string): Promise<Models> {
  const started = performance.now();
  const load = engineRequire(engineDir);
  // The engine's own `process` (under jest the test sandbox has a different one).
  const realProcess = load('node:process') as EventEmitter;
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const before = events.map((event) => realProcess.listeners(event));
  const tf = load('@tensorflow/tfjs-core') as TfCore;
  const wasm = load('@tensorflow/tfjs-backend-wasm') as TfWasm;
  const converter = load('@tensorflow/tfjs-converter') as TfConverter;
  const nsfwjs = load('nsfwjs') as Nsfwjs;
  if (tf.getBackend() !== 'wasm') {
    wasm.setWasmPaths(`${dirname(load.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js WASM backend did not start');
    await tf.ready();
  }
  // The WASM runtime (Emscripten) installs process handlers that rethrow, printing its whole
  // minified source on any crash; the application's own error handling stays in charge instead.
  events.forEach((event, index) => {
    for (const listener of realProcess.listeners(event)) {
      if (!before[index]?.includes(listener))
        realProcess.removeListener(event, listener as (...args: unknown[]) => void);
    }
  });

  const humanModels = packageFile(engineDir, '@vladmandic/human', 'models');
  const centernet = JSON.parse(readFileSync(join(humanModels, 'centernet.json'), 'utf8')) as ModelJson;
  const detector = await converter.loadGraphModel(
    tf.io.fromMemory({
      ...artifactsOf(centernet),
      weightData: toArrayBuffer(readFileSync(join(humanModels, 'centernet.bin'))),
    }),
  );

  // nsfwjs ships its weights as base64 inside .min.js modules and decodes them with a pure-JS Buffer
  // (about 10 s); reading the same modules and decoding with Node's Buffer takes ~0.1 s.
  const nsfwDir = packageFile(engineDir, 'nsfwjs', NSFW_MODEL_DIR);
  const nsfwJson = load(join(nsfwDir, 'model.min.js')) as ModelJson;
  const shards = nsfwJson.weightsManifest
    .flatMap((group) => group.paths)
    .map((path) => Buffer.from(load(join(nsfwDir, `${path}.min.js`)) as string, 'base64'));
  const nsfw = new nsfwjs.NSFWJS(
    { load: async () => ({ ...artifactsOf(nsfwJson), weightData: toArrayBuffer(Buffer.concat(shards)) }) },
    { size: NSFW_SIZE, type: 'graph' },
  );
  await nsfw.load();
  return { tf, detector, nsfw, loadMs: Math.round(performance.now() - started) };
}

function artifactsOf(model: ModelJson) {
  return {
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((group) => group.weights),
    ...(model.format ? { format: model.format } : {}),
    ...(model.generatedBy ? { generatedBy: model.generatedBy } : {}),
    ...(model.convertedBy !== undefined ? { convertedBy: model.convertedBy } : {}),
  };
}
