import {
  GetObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import sharp from 'sharp';

type S3Stub = AwsClientStub<S3Client>;

/** Files Rekognition answers InvalidImageFormatException for, and the rejection each must become. */

/** Serves ranged GETs from `object` as S3 does: clipped to its end, with Content-Range. */
export function serveObject(s3: S3Stub, object: Uint8Array): void {
  s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const match = /^bytes=(\d+)-(\d+)$/.exec(input.Range ?? '');
    if (!match) throw new Error(`expected a ranged GET, got Range ${input.Range}`);
    const start = Number(match[1]);
    const end = Math.min(Number(match[2]), object.length - 1);
    const bytes = object.slice(start, end + 1);
    return {
      ContentRange: `bytes ${start}-${end}/${object.length}`,
      Body: { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'],
    };
  });
}

/** A 1200×900 JPEG cut off in its entropy-coded data: frame header intact, pixels missing. */
export async function damagedJpeg(): Promise<Buffer> {
  const jpeg = await sharp({
    create: {
      width: 1200,
      height: 900,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .jpeg()
    .toBuffer();
  return jpeg.subarray(0, Math.floor(jpeg.length / 2));
}

/** A tiny JPEG whose header declares 60000×60000 px (a decompression bomb), data cut off. */
export async function bombJpeg(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123' } })
    .jpeg()
    .toBuffer();
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  const bomb = Buffer.from(jpeg);
  bomb.writeUInt16BE(60_000, sof + 5);
  bomb.writeUInt16BE(60_000, sof + 7);
  return bomb;
}

export function heic(): Buffer {
  return Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'),
    Buffer.alloc(4096),
  ]);
}

export const UNREADABLE_IMAGES = [
  ['a JPEG cut off in its data', damagedJpeg, 'CORRUPT_IMAGE'],
  ['a JPEG declaring 60000×60000 px', bombJpeg, 'IMAGE_TOO_LARGE'],
  ['a HEIC photo', async () => heic(), 'UNSUPPORTED_TYPE'],
] as const;
