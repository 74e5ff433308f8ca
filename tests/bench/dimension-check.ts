import sharp from 'sharp';
import {
  DEFAULT_DIMENSION_LIMITS,
  probeImageHeader,
  type ReadRange,
} from '../../functions/workflow/image-probe';
import { smartphonePhoto } from './photo';

/**
 * Check dimensions on a smartphone photo: the header probe's ranged reads against downloading
 * the whole object. Runs the probe on an in-memory S3 stand-in serving `photo`, checks its
 * answer against sharp reading the whole file, and reports how much of the object it read.
 */
export async function benchDimensionCheck(
  photo: Buffer,
): Promise<{ objectBytes: number; bytesRead: number; requests: number; ratio: number }> {
  let requests = 0;
  let bytesRead = 0;
  const read: ReadRange = async (start, endInclusive) => {
    const bytes = photo.subarray(start, Math.min(endInclusive, photo.length - 1) + 1);
    requests++;
    bytesRead += bytes.length;
    return { bytes, totalSize: photo.length };
  };

  const { verdict } = await probeImageHeader(read, DEFAULT_DIMENSION_LIMITS);

  // The whole-object way: download everything, let sharp read the header and apply orientation.
  const { autoOrient } = await sharp(photo).metadata();
  if (verdict.width !== autoOrient.width || verdict.height !== autoOrient.height) {
    throw new Error(
      `Header probe measured ${verdict.width}×${verdict.height}, the whole file is ${autoOrient.width}×${autoOrient.height}`,
    );
  }
  if (verdict.bytesRead !== bytesRead) {
    throw new Error(`Probe reported ${verdict.bytesRead} bytes read, the stand-in served ${bytesRead}`);
  }
  return { objectBytes: photo.length, bytesRead, requests, ratio: bytesRead / photo.length };
}

/**
 * The worst case the read cap allows: `photo` behind 1.25 MiB of APP2 segments (a large ICC
 * profile split into 64 KiB chunks) in front of its frame header. Still measured, never more
 * than READ_PLAN.maxBytesRead (1 MiB) read.
 */
export function withLargeMetadata(photo: Buffer): Buffer {
  const chunk = Buffer.alloc(4 + 65_531, 0x41);
  chunk.set([0xff, 0xe2, 0xff, 0xfd]);
  return Buffer.concat([photo.subarray(0, 2), ...Array.from({ length: 20 }, () => chunk), photo.subarray(2)]);
}

if (require.main === module) {
  smartphonePhoto()
    .then(benchDimensionCheck)
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
