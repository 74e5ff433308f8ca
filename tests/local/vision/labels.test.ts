import { regionsOf } from '../../../local/vision/inference';
import {
  type Detection,
  detectionConfidence,
  labelsFromDetections,
  mergeDetections,
  moderationLabelsFromNsfw,
  type NsfwScores,
  PERSON_SCORE_AT_80,
  rekognitionLabelName,
} from '../../../local/vision/labels';

const scores = (overrides: Partial<NsfwScores>): NsfwScores => ({
  Drawing: 0,
  Hentai: 0,
  Neutral: 0,
  Porn: 0,
  Sexy: 0,
  ...overrides,
});

const box = (Left: number, Top: number, Width: number, Height: number) => ({ Left, Top, Width, Height });

describe('moderation labels from nsfwjs classes', () => {
  it('reports porn and hentai together as Explicit with its level-2 label Explicit Nudity', () => {
    const labels = moderationLabelsFromNsfw(scores({ Porn: 0.5, Hentai: 0.2, Neutral: 0.3 }));

    expect(labels).toEqual([
      { Name: 'Explicit Nudity', ParentName: 'Explicit', TaxonomyLevel: 2, Confidence: 70 },
      { Name: 'Explicit', ParentName: '', TaxonomyLevel: 1, Confidence: 70 },
    ]);
  });

  it('reports a suggestive photo under Non-Explicit Nudity of Intimate parts and Kissing', () => {
    const labels = moderationLabelsFromNsfw(scores({ Sexy: 0.8, Neutral: 0.2 }));

    expect(labels).toEqual([
      {
        Name: 'Non-Explicit Nudity',
        ParentName: 'Non-Explicit Nudity of Intimate parts and Kissing',
        TaxonomyLevel: 2,
        Confidence: 80,
      },
      {
        Name: 'Non-Explicit Nudity of Intimate parts and Kissing',
        ParentName: '',
        TaxonomyLevel: 1,
        Confidence: 80,
      },
    ]);
  });

  it('reports nothing for a neutral photo or a drawing', () => {
    expect(moderationLabelsFromNsfw(scores({ Neutral: 0.6, Drawing: 0.4 }))).toEqual([]);
  });

  it('keeps confidences within 0–100 when the probabilities round above 1', () => {
    const [label] = moderationLabelsFromNsfw(scores({ Porn: 0.7, Hentai: 0.30001 }));

    expect(label?.Confidence).toBe(100);
  });
});

describe('detection confidence', () => {
  it('puts a person at the workflow threshold of 80 at the calibrated raw score', () => {
    expect(detectionConfidence('person', PERSON_SCORE_AT_80)).toBeCloseTo(80, 2);
  });

  it('grows with the raw score and stays within 0–100', () => {
    const values = [0, 0.1, 0.2, 0.45, 0.7, 1].map((score) => detectionConfidence('person', score));

    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values[0]).toBe(0);
    expect(values[values.length - 1]).toBe(100);
  });

  it('reports other classes at their raw score, uncalibrated', () => {
    expect(detectionConfidence('car', 0.62)).toBe(62);
  });
});

describe('labels from detections', () => {
  const person = (score: number, left: number): Detection => ({
    cocoClass: 'person',
    score,
    box: box(left, 0.1, 0.2, 0.8),
  });

  it('gives one Person label with an instance per person, at its most confident instance', () => {
    const [label, ...others] = labelsFromDetections([person(0.4, 0.1), person(0.6, 0.5)]);

    expect(others).toEqual([]);
    expect(label).toMatchObject({
      Name: 'Person',
      Confidence: detectionConfidence('person', 0.6),
      Parents: [],
      Aliases: [{ Name: 'Human' }],
      Categories: [{ Name: 'Person Description' }],
    });
    expect(label?.Instances.map((instance) => instance.BoundingBox.Left)).toEqual([0.5, 0.1]);
  });

  it('adds the parent labels Rekognition reports, without instances', () => {
    const labels = labelsFromDetections([{ cocoClass: 'car', score: 0.7, box: box(0, 0, 0.5, 0.5) }]);

    expect(
      labels.map((label) => [label.Name, label.Parents.map((parent) => parent.Name), label.Instances.length]),
    ).toEqual([
      ['Car', ['Vehicle', 'Transportation'], 1],
      ['Vehicle', ['Transportation'], 0],
      ['Transportation', [], 0],
    ]);
  });

  it('names COCO classes the way Rekognition does', () => {
    expect(['cell phone', 'dining table', 'tv', 'hot dog'].map(rekognitionLabelName)).toEqual([
      'Mobile Phone',
      'Dining Table',
      'TV',
      'Hot Dog',
    ]);
  });
});

describe('merging the detections of the whole frame and its tiles', () => {
  it('keeps the stronger of two overlapping boxes of one class', () => {
    const merged = mergeDetections([
      { cocoClass: 'person', score: 0.5, box: box(0.1, 0.1, 0.3, 0.8) },
      { cocoClass: 'person', score: 0.6, box: box(0.12, 0.1, 0.3, 0.8) },
    ]);

    expect(merged.map((detection) => detection.score)).toEqual([0.6]);
  });

  it('drops a partial box mostly inside a stronger one of its class (a tile cut a person in half)', () => {
    const merged = mergeDetections([
      { cocoClass: 'person', score: 0.7, box: box(0.4, 0.1, 0.2, 0.8) },
      { cocoClass: 'person', score: 0.3, box: box(0.4, 0.1, 0.08, 0.8) },
    ]);

    expect(merged).toHaveLength(1);
  });

  it('keeps overlapping boxes of different classes and separate people', () => {
    const merged = mergeDetections([
      { cocoClass: 'person', score: 0.7, box: box(0.1, 0.1, 0.3, 0.8) },
      { cocoClass: 'chair', score: 0.4, box: box(0.1, 0.1, 0.3, 0.8) },
      { cocoClass: 'person', score: 0.5, box: box(0.6, 0.1, 0.3, 0.8) },
    ]);

    expect(merged).toHaveLength(3);
  });
});

describe('regions the detector looks at', () => {
  it('looks at a square photo whole, once', () => {
    expect(regionsOf(512, 512)).toEqual([{ left: 0, top: 0, width: 512, height: 512 }]);
  });

  it('adds two overlapping square tiles for a 4:3 photo', () => {
    expect(regionsOf(1024, 768)).toEqual([
      { left: 0, top: 0, width: 1024, height: 768 },
      { left: 0, top: 0, width: 768, height: 768 },
      { left: 256, top: 0, width: 768, height: 768 },
    ]);
  });

  it('tiles a portrait photo from top to bottom', () => {
    const [, first, last] = regionsOf(768, 1024);

    expect([first?.top, last?.top, last?.height]).toEqual([0, 256, 768]);
  });

  it('covers a long panorama with at most eight overlapping tiles', () => {
    const tiles = regionsOf(10_000, 783).slice(1);

    expect(tiles).toHaveLength(8);
    expect(tiles[0]?.left).toBe(0);
    expect((tiles[7]?.left ?? 0) + (tiles[7]?.width ?? 0)).toBe(10_000);
    for (const [index, tile] of tiles.slice(1).entries()) {
      const previous = tiles[index];
      expect(tile.left).toBeLessThan((previous?.left ?? 0) + (previous?.width ?? 0));
    }
  });
});
