import exifReader from 'exif-reader';
import sharp from 'sharp';
import * as z from 'zod/mini';
import { inspectImage } from './image';
import {
  type DetectLabelsOptions,
  type DetectLabelsResult,
  type DetectModerationLabelsResult,
  LABEL_MODEL_VERSION,
  type Label,
  type LabelInstance,
  MODERATION_MODEL_VERSION,
  type ModerationLabel,
  selectLabels,
  selectModerationLabels,
  type VisionEngine,
} from './vision';

/**
 * A deterministic STAND-IN for Rekognition's models, for offline development and tests: it does not
 * look at the pixels. Each image declares its own answer as JSON in its EXIF ImageDescription
 * (IFD0 tag 0x010E), for example
 *   {"labels":[{"name":"Person","confidence":98.5,"instances":2}],
 *    "moderation":[{"name":"Explicit Nudity","confidence":91}]}
 * An image without such a declaration has no labels. `declareLabels` writes a declaration into a JPEG.
 */

const confidence = z.number().check(z.gte(0), z.lte(100));

const declaredBox = z.object({
  left: z.number(),
  top: z.number(),
  width: z.number(),
  height: z.number(),
  confidence: z.optional(confidence),
});

const declaredLabel = z.object({
  name: z.string().check(z.minLength(1)),
  confidence,
  /** A number of instances (laid out side by side) or their boxes, as ratios of the image size. */
  instances: z.optional(z.union([z.int().check(z.gte(0), z.lte(100)), z.array(declaredBox)])),
  parents: z.optional(z.array(z.string())),
  aliases: z.optional(z.array(z.string())),
  categories: z.optional(z.array(z.string())),
});

const declaredModerationLabel = z.object({
  name: z.string().check(z.minLength(1)),
  confidence,
  /** The level-1 category this label belongs to; none for a top-level category. */
  parent: z.optional(z.string()),
  /** TaxonomyLevel; defaults to 1 without a parent and 2 with one. */
  level: z.optional(z.int().check(z.gte(1), z.lte(3))),
});

const labelDeclaration = z.object({
  labels: z.optional(z.array(declaredLabel)),
  moderation: z.optional(z.array(declaredModerationLabel)),
});

export type LabelDeclaration = z.infer<typeof labelDeclaration>;

export interface DeclaredLabelsOptions {
  /** Told when an image's description looks like a declaration but is not a valid one. */
  log?: (line: string) => void;
}

export class DeclaredLabelsVisionEngine implements VisionEngine {
  constructor(private readonly options: DeclaredLabelsOptions = {}) {}

  async detectModerationLabels(image: Buffer, minConfidence?: number): Promise<DetectModerationLabelsResult> {
    const declaration = await readLabelDeclaration(image, this.options.log);
    const labels = (declaration.moderation ?? []).map(
      (label): ModerationLabel => ({
        Confidence: label.confidence,
        Name: label.name,
        ParentName: label.parent ?? '',
        TaxonomyLevel: label.level ?? (label.parent ? 2 : 1),
      }),
    );
    return {
      ModerationLabels: selectModerationLabels(labels, minConfidence),
      ModerationModelVersion: MODERATION_MODEL_VERSION,
    };
  }

  async detectLabels(image: Buffer, options: DetectLabelsOptions = {}): Promise<DetectLabelsResult> {
    const declaration = await readLabelDeclaration(image, this.options.log);
    const labels = (declaration.labels ?? []).map(
      (label): Label => ({
        Name: label.name,
        Confidence: label.confidence,
        Instances: toInstances(label.instances, label.confidence),
        Parents: (label.parents ?? []).map((name) => ({ Name: name })),
        Aliases: (label.aliases ?? []).map((name) => ({ Name: name })),
        Categories: (label.categories ?? []).map((name) => ({ Name: name })),
      }),
    );
    return { Labels: selectLabels(labels, options), LabelModelVersion: LABEL_MODEL_VERSION };
  }
}

/** The declaration an image carries; an image without a (valid) one declares nothing. */
export async function readLabelDeclaration(
  image: Buffer,
  log?: (line: string) => void,
): Promise<LabelDeclaration> {
  const { exif } = await inspectImage(image);
  if (!exif) return {};
  let description: unknown;
  try {
    description = exifReader(exif).Image?.ImageDescription;
  } catch {
    return {};
  }
  if (typeof description !== 'string' || !description.trim().startsWith('{')) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(description.replace(/\0+$/, ''));
  } catch {
    log?.(
      '[rekognition] image description starts like a label declaration but is not JSON; treating as no labels',
    );
    return {};
  }
  const result = labelDeclaration.safeParse(parsed);
  if (!result.success) {
    log?.(
      `[rekognition] image description is not a valid label declaration (${result.error.message}); treating as no labels`,
    );
    return {};
  }
  return result.data;
}

/**
 * A JPEG carrying `declaration` in its EXIF ImageDescription (other EXIF fields are kept).
 * The JSON is written as pure ASCII (EXIF ASCII tag), escaping other characters as \uXXXX.
 */
export async function declareLabels(image: Buffer, declaration: LabelDeclaration): Promise<Buffer> {
  const checked = labelDeclaration.parse(declaration);
  const asciiJson = JSON.stringify(checked).replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return sharp(image)
    .withExifMerge({ IFD0: { ImageDescription: asciiJson } })
    .jpeg()
    .toBuffer();
}

type DeclaredInstances = z.infer<typeof declaredLabel>['instances'];

function toInstances(instances: DeclaredInstances, labelConfidence: number): LabelInstance[] {
  if (instances === undefined) return [];
  if (Array.isArray(instances)) {
    return instances.map((box) => ({
      BoundingBox: { Width: box.width, Height: box.height, Left: box.left, Top: box.top },
      Confidence: box.confidence ?? labelConfidence,
    }));
  }
  // N instances side by side: equal vertical strips with a margin of 10% of the strip.
  return Array.from({ length: instances }, (_, index) => ({
    BoundingBox: { Width: 0.8 / instances, Height: 0.8, Left: (index + 0.1) / instances, Top: 0.1 },
    Confidence: labelConfidence,
  }));
}
