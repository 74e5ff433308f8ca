import {
  DetectModerationLabelsCommand,
  type DetectModerationLabelsCommandOutput,
  type ModerationLabel,
} from '@aws-sdk/client-rekognition';
import { rekognition } from '#clients/rekognition';
import { rekognitionImage, unreadableImageRejection } from './image-source';
import { accept, RejectionReason, reject, type UploadRef, type Verdict } from './workflow';

export interface ModerationSettings {
  /** Labels below this confidence (0–100) are not reported by Rekognition. */
  minConfidence: number;
  /** A JPEG Rekognition cannot read whose header declares more pixels is IMAGE_TOO_LARGE. */
  maxInputPixels: number;
  /** Top-level categories that do not reject a photo (e.g. "Swimwear or Underwear" for beaches). */
  ignoredCategories: readonly string[];
}

export interface FoundLabel {
  name: string;
  /** The top-level category of the moderation taxonomy the label belongs to. */
  category: string;
  confidence: number;
}

export interface ModerationFacts {
  labels: FoundLabel[];
  modelVersion?: string;
}

/** Walks ParentName links up to the level-1 category; Rekognition reports parents next to children. */
function categoryOf(label: ModerationLabel, all: readonly ModerationLabel[]): string {
  let current = label;
  for (let depth = 0; depth < 3 && current.ParentName; depth++) {
    const parent = all.find((candidate) => candidate.Name === current.ParentName);
    if (!parent) return current.ParentName;
    current = parent;
  }
  return current.Name ?? 'Unknown';
}

const round = (confidence: number | undefined) => Math.round((confidence ?? 0) * 10) / 10;

/**
 * Asks Rekognition for moderation labels at `minConfidence` or above. Any label outside the ignored
 * categories rejects the photo (FAILED_MODERATION, with the labels as evidence); otherwise the
 * labels pass through as facts. Throttling and service errors propagate for the workflow to retry.
 */
export async function moderateImage(
  upload: UploadRef,
  settings: ModerationSettings,
): Promise<Verdict<ModerationFacts>> {
  let response: DetectModerationLabelsCommandOutput;
  try {
    response = await rekognition.send(
      new DetectModerationLabelsCommand({
        Image: rekognitionImage(upload),
        MinConfidence: settings.minConfidence,
      }),
    );
  } catch (error) {
    const unreadable = await unreadableImageRejection(error, upload, settings.maxInputPixels);
    if (!unreadable) throw error;
    return reject(
      { labels: [] },
      { ...unreadable, evidence: { check: 'moderation', ...unreadable.evidence } },
    );
  }
  const all = response.ModerationLabels ?? [];
  const labels = all.map((label) => ({
    name: label.Name ?? 'Unknown',
    category: categoryOf(label, all),
    confidence: round(label.Confidence),
  }));
  const facts: ModerationFacts = {
    labels,
    ...(response.ModerationModelVersion ? { modelVersion: response.ModerationModelVersion } : {}),
  };
  const blocking = labels.filter((label) => !settings.ignoredCategories.includes(label.category));
  if (blocking.length === 0) return accept(facts);
  const strongest = [...blocking].sort((a, b) => b.confidence - a.confidence).slice(0, 3);
  return reject(facts, {
    reason: RejectionReason.failedModeration,
    detail: `The photo was flagged as unsuitable: ${strongest.map((label) => `${label.name} (${label.confidence}%)`).join(', ')}.`,
    evidence: { labels: blocking, modelVersion: facts.modelVersion ?? null },
  });
}
