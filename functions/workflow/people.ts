import { DetectLabelsCommand, type DetectLabelsCommandOutput } from '@aws-sdk/client-rekognition';
import { rekognition } from '#clients/rekognition';
import { rekognitionImage, unreadableImageRejection } from './image-source';
import { accept, RejectionReason, reject, type UploadRef, type Verdict } from './workflow';

export interface PeopleSettings {
  /** A person counts when Rekognition is at least this confident (0–100). */
  minConfidence: number;
  /** A JPEG Rekognition cannot read whose header declares more pixels is IMAGE_TOO_LARGE. */
  maxInputPixels: number;
}

export interface PeopleFacts {
  peopleCount: number;
  /** Rekognition's confidence in the Person label, when it reported one. */
  personConfidence?: number;
}

/**
 * Counts the people Rekognition DetectLabels finds: `Person` instances at `minConfidence` or
 * above. A Person label without instances counts as one person (fail closed). Any person rejects
 * the photo (PEOPLE_NOT_ALLOWED, with the count and boxes as evidence).
 */
export async function detectPeople(
  upload: UploadRef,
  settings: PeopleSettings,
): Promise<Verdict<PeopleFacts>> {
  let response: DetectLabelsCommandOutput;
  try {
    response = await rekognition.send(
      new DetectLabelsCommand({
        Image: rekognitionImage(upload),
        MinConfidence: settings.minConfidence,
        Features: ['GENERAL_LABELS'],
        Settings: { GeneralLabels: { LabelInclusionFilters: ['Person'] } },
      }),
    );
  } catch (error) {
    const unreadable = await unreadableImageRejection(error, upload, settings.maxInputPixels);
    if (!unreadable) throw error;
    return reject(
      { peopleCount: 0 },
      { ...unreadable, evidence: { check: 'people', ...unreadable.evidence } },
    );
  }
  const person = (response.Labels ?? []).find(
    (label) => label.Name === 'Person' && (label.Confidence ?? 0) >= settings.minConfidence,
  );
  if (!person) return accept({ peopleCount: 0 });
  const instances = (person.Instances ?? []).filter(
    (instance) => (instance.Confidence ?? 0) >= settings.minConfidence,
  );
  const peopleCount = Math.max(1, instances.length);
  const facts: PeopleFacts = {
    peopleCount,
    personConfidence: Math.round((person.Confidence ?? 0) * 10) / 10,
  };
  return reject(facts, {
    reason: RejectionReason.peopleNotAllowed,
    detail: `The photo shows ${peopleCount === 1 ? 'a person' : `${peopleCount} people`}; photos of restaurants, cafés and bars must not show people.`,
    evidence: {
      count: peopleCount,
      boxes: instances.map((instance) => instance.BoundingBox ?? null),
    },
  });
}
