import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { DEFAULT_ENGINE_DIR, packageFile } from './packages';

/**
 * Real photos that ship inside npm packages (dev dependencies of local/vision-engine), the
 * calibration set of the model engine: the tests, the bench and the demo read them from there, so
 * no binary fixture is committed. Licences: every package is MIT (baboon-image: the image itself is
 * public domain, the USC-SIPI "Mandrill").
 */

export interface CalibrationPhoto {
  id: string;
  packageName: string;
  path: string;
  /** Whether a person is visible (the truth the tests hold the detector to). */
  people: boolean;
  what: string;
}

export const CALIBRATION_PHOTOS: readonly CalibrationPhoto[] = [
  ...[1, 2, 3, 4, 5, 6].map((n) => ({
    id: `face-api-sample${n}`,
    packageName: '@vladmandic/face-api',
    path: `demo/sample${n}.jpg`,
    people: true,
    what: 'group portrait, 3–5 people',
  })),
  {
    id: 'human-samples',
    packageName: '@vladmandic/human',
    path: 'assets/samples.jpg',
    people: true,
    what: 'group photo of ~15 people under a strip of thumbnails',
  },
  {
    id: 'human-vrm',
    packageName: '@vladmandic/human',
    path: 'assets/screenshot-vrm.jpg',
    people: true,
    what: 'screenshot: a rendered avatar and a webcam inset of a man',
  },
  {
    id: 'jimp-fillbytes',
    packageName: '@jimp/test-utils',
    path: 'images/fillbytes.jpg',
    people: true,
    what: 'CCTV frame of a car park, three small people',
  },
  {
    id: 'jimp-panoramic',
    packageName: '@jimp/test-utils',
    path: 'images/panoramic.jpg',
    people: true,
    what: '10000×783 street panorama, two women seated at one end',
  },
  {
    id: 'exif-parser-starfish',
    packageName: 'exif-parser',
    path: 'test/starfish.jpg',
    people: true,
    what: 'hands and torso of a person over a crate of starfish',
  },
  {
    id: 'baboon',
    packageName: 'baboon-image',
    path: 'baboon.png',
    people: false,
    what: 'the Mandrill test photo (a monkey’s face)',
  },
  {
    id: 'jimp-flower',
    packageName: '@jimp/test-utils',
    path: 'images/flower.gif',
    people: false,
    what: 'close-up photo of a purple flower (GIF, re-encoded as PNG)',
  },
  {
    id: 'jimp-dice',
    packageName: '@jimp/test-utils',
    path: 'images/dice.png',
    people: false,
    what: 'rendered dice',
  },
  {
    id: 'jimp-hands',
    packageName: '@jimp/test-utils',
    path: 'images/hands.jpg',
    people: false,
    what: 'line drawing of two hands',
  },
  {
    id: 'jimp-windows95',
    packageName: '@jimp/test-utils',
    path: 'images/windows95.png',
    people: false,
    what: 'Windows 95 box art',
  },
  {
    id: 'jimp-mask',
    packageName: '@jimp/test-utils',
    path: 'images/mask.png',
    people: false,
    what: 'blurred disc',
  },
  {
    id: 'human-icon',
    packageName: '@vladmandic/human',
    path: 'assets/icon.png',
    people: false,
    what: 'anatomy illustration (a skeleton figure)',
  },
];

/**
 * Measured but held to no expectation: figurines of two police officers, which the detector takes
 * for people (raw score 0.70) as many detectors do; at a restaurant such a photo is rejected.
 */
export const AMBIGUOUS_PHOTOS: readonly CalibrationPhoto[] = [
  {
    id: 'jimp-cops',
    packageName: '@jimp/test-utils',
    path: 'images/cops.jpg',
    people: false,
    what: 'two police figurines',
  },
];

/** A photo's bytes as the workflows would send them: JPEG or PNG (a GIF is re-encoded losslessly). */
export async function readCalibrationPhoto(
  photo: CalibrationPhoto,
  engineDir = DEFAULT_ENGINE_DIR,
): Promise<Buffer> {
  const bytes = readFileSync(packageFile(engineDir, photo.packageName, photo.path));
  return photo.path.endsWith('.gif') ? sharp(bytes).png().toBuffer() : bytes;
}

export function calibrationPhoto(id: string): CalibrationPhoto {
  const photo = [...CALIBRATION_PHOTOS, ...AMBIGUOUS_PHOTOS].find((candidate) => candidate.id === id);
  if (!photo) throw new Error(`no calibration photo ${id}`);
  return photo;
}
