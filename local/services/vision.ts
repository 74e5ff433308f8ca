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

export interface DetectLabelsOptions {
  maxLabels?: number;
  minConfidence?: number;
}

export interface VisionEngine {
  /** Labels at or above minConfidence (default 50). The image is a JPEG or PNG already checked by the caller. */
  detectModerationLabels(image: Buffer, minConfidence?: number): Promise<DetectModerationLabelsResult>;
  /** Labels at or above minConfidence (default 55), the most confident first, at most maxLabels. */
  detectLabels(image: Buffer, options?: DetectLabelsOptions): Promise<DetectLabelsResult>;
}

export function selectModerationLabels(
  labels: ModerationLabel[],
  minConfidence = DEFAULT_MODERATION_MIN_CONFIDENCE,
): ModerationLabel[] {
  return labels.filter((label) => label.Confidence >= minConfidence);
}

export function selectLabels(labels: Label[], options: DetectLabelsOptions = {}): Label[] {
  const minConfidence = options.minConfidence ?? DEFAULT_LABELS_MIN_CONFIDENCE;
  const confident = labels
    .filter((label) => label.Confidence >= minConfidence)
    .map((label) => ({
      ...label,
      Instances: label.Instances.filter((instance) => instance.Confidence >= minConfidence),
    }))
    .sort((a, b) => b.Confidence - a.Confidence);
  return options.maxLabels === undefined ? confident : confident.slice(0, options.maxLabels);
}
