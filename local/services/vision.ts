/**
 * The image-analysis seam behind the Rekognition stand-in. An engine answers with the exact
 * Rekognition response shapes; the Rekognition handler does the protocol, image loading and
 * validation, then asks the engine. Engines must honour minConfidence and maxLabels (use
 * `selectModerationLabels` / `selectLabels`).
 *
 * To plug in a model-based engine, implement `VisionEngine` (for example with an ONNX or
 * TensorFlow model) and pass it as `vision` to `createServicesHandler`; nothing else changes.
 */

export const MODERATION_MODEL_VERSION = '7.0';
export const LABEL_MODEL_VERSION = '3.0';
/** Rekognition's defaults when a request leaves MinConfidence out. */
export const DEFAULT_MODERATION_MIN_CONFIDENCE = 50;
export const DEFAULT_LABELS_MIN_CONFIDENCE = 55;

export interface ModerationLabel {
  Confidence: number;
  Name: string;
  /** '' for a top-level category. */
  ParentName: string;
  /** 1 for a top-level category, 2 and 3 below it. */
  TaxonomyLevel: number;
}

export interface DetectModerationLabelsResult {
  ModerationLabels: ModerationLabel[];
  ModerationModelVersion: string;
}

/** Ratios of the image width/height, from the top-left corner. */
export interface BoundingBox {
  Width: number;
  Height: number;
  Left: number;
  Top: number;
}

export interface LabelInstance {
  BoundingBox: BoundingBox;
  Confidence: number;
}

export interface Label {
  Name: string;
  Confidence: number;
  Instances: LabelInstance[];
  Parents: Array<{ Name: string }>;
  Aliases: Array<{ Name: string }>;
  Categories: Array<{ Name: string }>;
}

export interface DetectLabelsResult {
  Labels: Label[];
  LabelModelVersion: string;
}

/**
 * DetectLabels `Settings.GeneralLabels`: with inclusion filters only labels named in
 * `labels` or belonging to one of `categories` are returned; exclusion filters then remove
 * labels by name or category. Names are compared case-insensitively.
 */
export interface LabelFilters {
  labelInclusion?: string[];
  labelExclusion?: string[];
  categoryInclusion?: string[];
  categoryExclusion?: string[];
}

export interface DetectLabelsOptions {
  maxLabels?: number;
  minConfidence?: number;
  /** Applied before maxLabels, as Rekognition does: MaxLabels counts the labels that pass. */
  filters?: LabelFilters;
}

export interface VisionEngine {
  /** Labels at or above minConfidence (default 50). The image is a JPEG or PNG already checked by the caller. */
  detectModerationLabels(image: Buffer, minConfidence?: number): Promise<DetectModerationLabelsResult>;
  /**
   * Labels at or above minConfidence (default 55) that pass the filters, the most confident
   * first, at most maxLabels.
   */
  detectLabels(image: Buffer, options?: DetectLabelsOptions): Promise<DetectLabelsResult>;
}

export function selectModerationLabels(
  labels: ModerationLabel[],
  minConfidence = DEFAULT_MODERATION_MIN_CONFIDENCE,
): ModerationLabel[] {
  return labels.filter((label) => label.Confidence >= minConfidence);
}

/** The labels that pass DetectLabels' GeneralLabels filters (all of them without filters). */
export function filterLabels(labels: Label[], filters: LabelFilters = {}): Label[] {
  const set = (names: string[] | undefined) => new Set((names ?? []).map((name) => name.toLowerCase()));
  const includedNames = set(filters.labelInclusion);
  const includedCategories = set(filters.categoryInclusion);
  const excludedNames = set(filters.labelExclusion);
  const excludedCategories = set(filters.categoryExclusion);
  const inCategory = (label: Label, categories: Set<string>) =>
    label.Categories.some((category) => categories.has(category.Name.toLowerCase()));
  return labels.filter((label) => {
    const name = label.Name.toLowerCase();
    const restricted = includedNames.size > 0 || includedCategories.size > 0;
    if (restricted && !includedNames.has(name) && !inCategory(label, includedCategories)) return false;
    return !excludedNames.has(name) && !inCategory(label, excludedCategories);
  });
}

export function selectLabels(labels: Label[], options: DetectLabelsOptions = {}): Label[] {
  const minConfidence = options.minConfidence ?? DEFAULT_LABELS_MIN_CONFIDENCE;
  const confident = filterLabels(labels, options.filters)
    .filter((label) => label.Confidence >= minConfidence)
    .map((label) => ({
      ...label,
      Instances: label.Instances.filter((instance) => instance.Confidence >= minConfidence),
    }))
    .sort((a, b) => b.Confidence - a.Confidence);
  return options.maxLabels === undefined ? confident : confident.slice(0, options.maxLabels);
}
