import type { BoundingBox, Label, LabelInstance, ModerationLabel } from '../services/vision';

/**
 * Pure translations from the models' outputs to Rekognition's response shapes: nsfwjs class
 * probabilities → moderation labels (taxonomy v7), detector boxes → DetectLabels labels. No model
 * is needed here, so these are unit-tested without the engine installed. See README.md for the
 * mapping's reasons and the measurements behind the thresholds.
 */

/** The five classes of the nsfwjs models, each a probability 0–1 (they sum to 1). */
export type NsfwScores = Record<'Drawing' | 'Hentai' | 'Neutral' | 'Porn' | 'Sexy', number>;

export const EXPLICIT = 'Explicit';
export const EXPLICIT_NUDITY = 'Explicit Nudity';
export const NON_EXPLICIT = 'Non-Explicit Nudity of Intimate parts and Kissing';
export const NON_EXPLICIT_NUDITY = 'Non-Explicit Nudity';

const percent = (probability: number) => Math.round(Math.min(1, Math.max(0, probability)) * 100_000) / 1000;

/**
 * nsfwjs → Rekognition moderation taxonomy v7, a level-1 category with its level-2 label (Rekognition
 * reports both):
 * - Porn and Hentai are both explicit (photographed or drawn); they are exclusive classes of one
 *   softmax, so P(explicit) = P(Porn) + P(Hentai) → "Explicit" / "Explicit Nudity" (the model
 *   cannot tell nudity from sexual activity; nudity is the broader label).
 * - Sexy (revealing, suggestive, not pornographic) → "Non-Explicit Nudity of Intimate parts and
 *   Kissing" / "Non-Explicit Nudity": the stricter of the two v7 homes of the old "Suggestive"
 *   category (the other is "Swimwear or Underwear"), so a place that ignores swimwear still rejects it.
 * - Neutral and Drawing are not moderation labels.
 * Every label is returned; the caller applies MinConfidence.
 */
export function moderationLabelsFromNsfw(scores: NsfwScores): ModerationLabel[] {
  const explicit = percent(scores.Porn + scores.Hentai);
  const suggestive = percent(scores.Sexy);
  const labels: ModerationLabel[] = [
    { Name: EXPLICIT_NUDITY, ParentName: EXPLICIT, TaxonomyLevel: 2, Confidence: explicit },
    { Name: EXPLICIT, ParentName: '', TaxonomyLevel: 1, Confidence: explicit },
    { Name: NON_EXPLICIT_NUDITY, ParentName: NON_EXPLICIT, TaxonomyLevel: 2, Confidence: suggestive },
    { Name: NON_EXPLICIT, ParentName: '', TaxonomyLevel: 1, Confidence: suggestive },
  ];
  return labels.filter((label) => label.Confidence > 0).sort((a, b) => b.Confidence - a.Confidence);
}

/** The 80 COCO classes in the detector's output order (class index = position). */
// biome-ignore format: a table
export const COCO_CLASSES = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
  'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple',
  'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
  'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
  'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase',
  'scissors', 'teddy bear', 'hair drier', 'toothbrush',
] as const;

/** COCO names whose Rekognition label is not simply the name in Title Case. */
const RENAMED: Record<string, string> = {
  tv: 'TV',
  'cell phone': 'Mobile Phone',
  'sports ball': 'Ball',
  skis: 'Ski',
  remote: 'Remote Control',
  mouse: 'Computer Mouse',
  'hair drier': 'Hair Dryer',
};

interface Family {
  /** The label's parents, nearest first (each becomes a label too, as Rekognition reports them). */
  parents: string[];
  category: string;
}

const FAMILIES: Array<{ members: string[] } & Family> = [
  {
    members: ['bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat'],
    parents: ['Vehicle', 'Transportation'],
    category: 'Vehicles and Automotive',
  },
  {
    members: ['cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe'],
    parents: ['Mammal', 'Animal'],
    category: 'Animals and Pets',
  },
  { members: ['bird'], parents: ['Animal'], category: 'Animals and Pets' },
  {
    members: [
      'banana',
      'apple',
      'sandwich',
      'orange',
      'broccoli',
      'carrot',
      'hot dog',
      'pizza',
      'donut',
      'cake',
    ],
    parents: ['Food'],
    category: 'Food and Beverage',
  },
  {
    members: ['bench', 'chair', 'couch', 'bed', 'dining table'],
    parents: ['Furniture'],
    category: 'Home and Indoors',
  },
  {
    members: ['tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone'],
    parents: ['Electronics'],
    category: 'Technology and Computing',
  },
];

export function rekognitionLabelName(cocoClass: string): string {
  return RENAMED[cocoClass] ?? cocoClass.replace(/\b[a-z]/g, (letter) => letter.toUpperCase());
}

/**
 * The detector's score (0–1) as a Rekognition-like confidence (0–100). CenterNet's scores are heat-map
 * peaks, much lower than a probability: on the calibration photos the best person scores 0.45–0.74
 * where people are visible, at most 0.13 where none is (README.md). Person is calibrated with 100·(1 − (1 − s)^k), k chosen so that
 * s = PERSON_SCORE_AT_80 (midway between those) gives 80, the workflow's PERSON_MIN_CONFIDENCE.
 * Other classes are not calibrated: their score is reported as is (×100).
 */
export const PERSON_SCORE_AT_80 = 0.3;
const PERSON_EXPONENT = Math.log(1 - 0.8) / Math.log(1 - PERSON_SCORE_AT_80);

export function detectionConfidence(cocoClass: string, score: number): number {
  const clamped = Math.min(1, Math.max(0, score));
  const confidence = cocoClass === 'person' ? 100 * (1 - (1 - clamped) ** PERSON_EXPONENT) : 100 * clamped;
  return Math.round(confidence * 1000) / 1000;
}

/** One detection after merging, in ratios of the oriented image. */
export interface Detection {
  cocoClass: string;
  /** The detector's raw score, 0–1. */
  score: number;
  box: BoundingBox;
}

/**
 * Detections → Rekognition labels: one label per class with an instance per detection (label
 * Confidence = its most confident instance), plus the parent labels Rekognition reports
 * (Car → Vehicle → Transportation). Not yet filtered: the caller applies MinConfidence/MaxLabels.
 */
export function labelsFromDetections(detections: readonly Detection[]): Label[] {
  const byName = new Map<string, Label>();
  for (const detection of detections) {
    const name = rekognitionLabelName(detection.cocoClass);
    const family = FAMILIES.find((candidate) => candidate.members.includes(detection.cocoClass));
    const label = byName.get(name) ?? {
      Name: name,
      Confidence: 0,
      Instances: [],
      Parents: (family?.parents ?? []).map((parent) => ({ Name: parent })),
      Aliases: detection.cocoClass === 'person' ? [{ Name: 'Human' }] : [],
      Categories: [
        {
          Name:
            family?.category ??
            (detection.cocoClass === 'person' ? 'Person Description' : 'Everyday Objects'),
        },
      ],
    };
    const instance: LabelInstance = {
      BoundingBox: detection.box,
      Confidence: detectionConfidence(detection.cocoClass, detection.score),
    };
    label.Instances.push(instance);
    label.Confidence = Math.max(label.Confidence, instance.Confidence);
    byName.set(name, label);
    for (const [index, parent] of (family?.parents ?? []).entries()) {
      const parentLabel = byName.get(parent) ?? {
        Name: parent,
        Confidence: 0,
        Instances: [],
        Parents: (family?.parents ?? []).slice(index + 1).map((grandParent) => ({ Name: grandParent })),
        Aliases: [],
        Categories: [{ Name: family?.category ?? 'Everyday Objects' }],
      };
      parentLabel.Confidence = Math.max(parentLabel.Confidence, instance.Confidence);
      byName.set(parent, parentLabel);
    }
  }
  for (const label of byName.values()) label.Instances.sort((a, b) => b.Confidence - a.Confidence);
  return [...byName.values()];
}

/** Intersection over union, and over the smaller box (to drop a tile's partial copy of an object). */
function overlap(a: BoundingBox, b: BoundingBox): { iou: number; ios: number } {
  const width = Math.min(a.Left + a.Width, b.Left + b.Width) - Math.max(a.Left, b.Left);
  const height = Math.min(a.Top + a.Height, b.Top + b.Height) - Math.max(a.Top, b.Top);
  const intersection = Math.max(0, width) * Math.max(0, height);
  const areaA = a.Width * a.Height;
  const areaB = b.Width * b.Height;
  return {
    iou: intersection / (areaA + areaB - intersection || 1),
    ios: intersection / (Math.min(areaA, areaB) || 1),
  };
}

/**
 * Per-class non-maximum suppression over the detections of every pass (whole frame and tiles): a
 * box is dropped when a stronger one of its class overlaps it (IoU ≥ 0.5) or mostly covers it (≥ 80%
 * of the smaller box), as a tile's cut-off half of a person under the whole-frame box.
 */
export function mergeDetections(detections: readonly Detection[]): Detection[] {
  const kept: Detection[] = [];
  for (const detection of [...detections].sort((a, b) => b.score - a.score)) {
    const duplicate = kept.some((other) => {
      if (other.cocoClass !== detection.cocoClass) return false;
      const { iou, ios } = overlap(other.box, detection.box);
      return iou >= 0.5 || ios >= 0.8;
    });
    if (!duplicate) kept.push(detection);
  }
  return kept;
}
