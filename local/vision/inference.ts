import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { ServiceError } from '../services/errors';
import { COCO_CLASSES, type Detection, mergeDetections, type NsfwScores } from './labels';
import {
  engineRequire,
  type GraphModel,
  type ModelJson,
  type Nsfwjs,
  type NsfwModel,
  packageFile,
  type TfConverter,
  type TfCore,
  type TfWasm,
  toArrayBuffer,
} from './packages';

/**
 * The models themselves: loading them and running them on one image. This runs inside the model
 * worker thread (model-worker.ts), never on the runtime's main thread: TensorFlow.js WASM inference
 * is synchronous and takes up to seconds per photo.
 */

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

export interface Models {
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

/** The nsfwjs class probabilities of the oriented image. */
export async function classifyImage({ tf, nsfw }: Models, image: Uint8Array): Promise<NsfwScores> {
  const pixels = await decode(image, (pipeline) =>
    pipeline.resize(NSFW_SIZE, NSFW_SIZE, { fit: 'fill' }).raw().toBuffer(),
  );
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
}

/**
 * Objects in the oriented image, boxes in ratios of it: one pass over the whole frame and, for a
 * photo that is not square, passes over square tiles along its long side (people too small or too
 * squeezed in the whole frame show up there), merged per class.
 */
export async function detectObjects(models: Models, image: Uint8Array): Promise<Detection[]> {
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
    for (const found of await runDetector(models, pixels)) {
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
}

/** CenterNet on one 512×512 RGB input: its top-100 peaks [x1, y1, x2, y2, score, class] in input pixels. */
async function runDetector({ tf, detector }: Models, pixels: Buffer): Promise<Detection[]> {
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

const clamp = (ratio: number) => Math.min(1, Math.max(0, ratio));

/**
 * Decodes once (shrink-on-load where the output allows), applies the EXIF orientation and yields
 * 3-channel sRGB. Lenient with damaged files, as Rekognition is: the workflow's own checks judge
 * corruption. What sharp cannot read at all is Rekognition's InvalidImageFormatException.
 */
async function decode<T>(image: Uint8Array, finish: (pipeline: Sharp) => Promise<T>): Promise<T> {
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

/** The WASM backend and both models, from the engine folder's packages (0.7–0.8 s here). */
export async function loadModels(engineDir: string): Promise<Models> {
  const started = performance.now();
  const load = engineRequire(engineDir);
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const handlers: EventEmitter = process;
  const before = events.map((event) => handlers.listeners(event));
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
  // minified source on any crash; the worker's own error handling stays in charge instead.
  events.forEach((event, index) => {
    for (const listener of handlers.listeners(event)) {
      if (!before[index]?.includes(listener))
        handlers.removeListener(event, listener as (...args: unknown[]) => void);
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
