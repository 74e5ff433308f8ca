import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type JpegHeader, walkJpegHeader } from './jpeg-header';
import { accept, type Rejection, RejectionReason, reject, type UploadRef, type Verdict } from './workflow';

/**
 * "Check dimensions": decides from an image's first bytes, read with ranged GETs, whether the
 * workflow should go on. The type comes from magic bytes (never the file name or Content-Type);
 * the size from the JPEG frame header, found by following segment lengths (jpeg-header.ts).
 * A bad image is a rejection; only read failures throw.
 */

export type ImageFormat =
  | 'jpeg'
  | 'png'
  | 'gif'
  | 'webp'
  | 'bmp'
  | 'tiff'
  | 'heic'
  | 'heif'
  | 'avif'
  | 'jxl'
  | 'unknown';

const FORMAT_NAMES: Record<Exclude<ImageFormat, 'unknown'>, string> = {
  jpeg: 'a JPEG image',
  png: 'a PNG image',
  gif: 'a GIF image',
  webp: 'a WebP image',
  bmp: 'a BMP image',
  tiff: 'a TIFF image',
  heic: 'a HEIC image',
  heif: 'a HEIF image',
  avif: 'an AVIF image',
  jxl: 'a JPEG XL image',
};

function startsWith(bytes: Uint8Array, signature: ReadonlyArray<number>, at = 0): boolean {
  return signature.every((byte, index) => bytes[at + index] === byte);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2']);
/** BITMAPINFOHEADER and its variants: the DIB header sizes a real BMP has. */
const BMP_DIB_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

/** ISO BMFF `ftyp` box: major brand, then compatible brands, decide HEIC / AVIF / HEIF. */
function isoBmffFormat(bytes: Uint8Array): ImageFormat {
  const boxSize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  const end = Math.min(bytes.length, Math.max(16, boxSize));
  const brands = [ascii(bytes, 8, 12)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(bytes, at, at + 4));
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'avif';
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return 'heic';
  if (brands.some((brand) => HEIF_BRANDS.has(brand))) return 'heif';
  if (brands[0] === 'jxl ') return 'jxl';
  return 'unknown'; // MP4, QuickTime and other ISO BMFF files that are not still images
}

/** The image format by magic bytes; 'unknown' for anything that is not a recognised image. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 18) {
    const dibSize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(14, true);
    if (BMP_DIB_SIZES.has(dibSize)) return 'bmp';
  }
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || // II*\0, little-endian TIFF
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) || // MM\0*, big-endian TIFF
    startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || // BigTIFF
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return 'tiff';
  }
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') return isoBmffFormat(bytes);
  if (startsWith(bytes, [0xff, 0x0a])) return 'jxl'; // bare JPEG XL codestream
  if (startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) return 'jxl';
  return 'unknown';
}

/** Bytes `start`…`endInclusive` (clipped to the object) and the object's total size. */
export interface RangeRead {
  bytes: Uint8Array;
  totalSize: number;
}

/** Reads one byte range of the object; the probe's only I/O, so tests and benches can inject it. */
export type ReadRange = (start: number, endInclusive: number) => Promise<RangeRead>;

/** S3 answered a ranged GET with something the probe cannot trust (no or a wrong Content-Range). */
export class RangeReadError extends Error {
  override readonly name = 'RangeReadError';
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

/**
 * Ranged GETs against S3, pinned to the notified version when there is one. S3 errors (NoSuchKey,
 * AccessDenied, throttling) propagate unchanged. An empty object (S3 answers 416 InvalidRange to
 * `bytes=0-…`) reads as zero bytes of zero.
 */
export function s3RangeReader(
  client: S3Client,
  object: Pick<UploadRef, 'bucket' | 'key' | 'versionId'>,
): ReadRange {
  return async (start, endInclusive) => {
    const command = new GetObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      Range: `bytes=${start}-${endInclusive}`,
      ...(object.versionId ? { VersionId: object.versionId } : {}),
    });
    const response = await sendAllowingEmpty(client, command, start);
    if (!response) return { bytes: new Uint8Array(0), totalSize: 0 };
    const range = CONTENT_RANGE.exec(response.ContentRange ?? '');
    if (!range || Number(range[1]) !== start || Number(range[2]) > endInclusive) {
      // Never stream a whole object the server did not range.
      (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
      throw new RangeReadError(
        `Expected Content-Range for bytes ${start}-${endInclusive}, got ${response.ContentRange ?? 'none'}`,
      );
    }
    const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array(0);
    if (range[3] === '0') return { bytes: new Uint8Array(0), totalSize: 0 }; // s3rver: "bytes 0-0/0"
    const expected = Number(range[2]) - Number(range[1]) + 1;
    if (bytes.length !== expected) {
      throw new RangeReadError(`Expected ${expected} bytes from Content-Range, got ${bytes.length}`);
    }
    return { bytes, totalSize: Number(range[3]) };
  };
}

/** S3 answers 416 InvalidRange to `bytes=0-…` only when the object is empty: undefined then. */
async function sendAllowingEmpty(client: S3Client, command: GetObjectCommand, start: number) {
  try {
    return await client.send(command);
  } catch (error) {
    if (start === 0 && (error as { name?: string })?.name === 'InvalidRange') return undefined;
    throw error;
  }
}

export interface DimensionLimits {
  /** Larger objects are rejected from the size in the first response. */
  maxObjectBytes: number;
  /** Both sides (after EXIF orientation) must be at least this many pixels. */
  minSide: number;
  /** Neither side may exceed this many pixels. */
  maxSide: number;
  /** width × height may not exceed this many million pixels. */
  maxMegapixels: number;
}

export const DEFAULT_DIMENSION_LIMITS: DimensionLimits = {
  maxObjectBytes: 10 * 1024 * 1024,
  minSide: 800,
  maxSide: 10_000,
  maxMegapixels: 50,
};

/** How the probe reads: one generous first read, small reads after skipping a segment, a hard cap. */
export const READ_PLAN = {
  /** First read: SOI, the EXIF APP1 (≤ 64 KiB) and, in nearly every photo, the frame header. */
  firstReadBytes: 64 * 1024,
  /** A read at a segment the walker skipped to: its header and usually DQT/SOF right after. */
  followUpReadBytes: 8 * 1024,
  /** Never more than this per object, whatever the file claims. */
  maxBytesRead: 1024 * 1024,
} as const;

export interface DimensionFacts {
  format: ImageFormat;
  /** After EXIF orientation. */
  width?: number;
  height?: number;
  orientation?: number;
  megapixels?: number;
  objectBytes: number;
  bytesRead: number;
}

export type DimensionVerdict = Verdict<DimensionFacts>;

export interface ProbeResult {
  verdict: DimensionVerdict;
  /** Number of ranged reads made. */
  requests: number;
}

/**
 * The object as far as it has been read: chunks of known bytes (merged when they touch), filled
 * on demand with ranged reads within the byte cap: the first one large, one after a skipped
 * segment small, one that continues a previous
 * small read (a long run of fill bytes) twice its size.
 */
class RangedObject {
  requests = 0;
  bytesRead = 0;
  private readonly chunks: Array<{ start: number; bytes: Uint8Array }> = [];
  private lastEnd = 0;
  private lastFollowUpBytes = 0;

  private constructor(
    private readonly read: ReadRange,
    readonly size: number,
  ) {}

  /** Makes the first read; its response gives the object's size. */
  static async open(read: ReadRange): Promise<{ object: RangedObject; head: Uint8Array }> {
    const first = await read(0, READ_PLAN.firstReadBytes - 1);
    const object = new RangedObject(read, first.totalSize);
    object.record(0, first.bytes);
    return { object, head: first.bytes };
  }

  /**
   * A view from `offset` holding at least `length` bytes, reading what is missing; undefined when
   * that would take the bytes read past READ_PLAN.maxBytesRead. Never reads past the object's end.
   */
  async bytesAt(offset: number, length: number): Promise<Uint8Array | undefined> {
    for (;;) {
      const chunk = this.chunks.find((c) => offset >= c.start && offset < c.start + c.bytes.length);
      const known = chunk ? chunk.start + chunk.bytes.length : offset;
      if (chunk && known >= offset + length) return chunk.bytes.subarray(offset - chunk.start);
      // Reading on from where the last read ended (a run of fill bytes) doubles the read size.
      const readAhead =
        known === this.lastEnd
          ? Math.max(this.lastFollowUpBytes * 2, READ_PLAN.followUpReadBytes)
          : READ_PLAN.followUpReadBytes;
      const wanted = Math.max(offset + length - known, readAhead);
      const end = Math.min(known + wanted, this.size, known + READ_PLAN.maxBytesRead - this.bytesRead) - 1;
      if (end < offset + length - 1) return undefined;
      const next = await this.read(known, end);
      if (next.totalSize !== this.size) {
        throw new RangeReadError(
          `The object changed size while being read (${this.size} → ${next.totalSize})`,
        );
      }
      if (next.bytes.length === 0) throw new RangeReadError(`No bytes returned for ${known}-${end}`);
      this.record(known, next.bytes);
    }
  }

  private record(start: number, bytes: Uint8Array): void {
    this.requests++;
    this.bytesRead += bytes.length;
    this.lastFollowUpBytes = start === 0 ? 0 : bytes.length;
    this.lastEnd = start + bytes.length;
    const before = this.chunks.find((c) => c.start + c.bytes.length === start);
    if (!before) {
      this.chunks.push({ start, bytes });
      return;
    }
    const merged = new Uint8Array(before.bytes.length + bytes.length);
    merged.set(before.bytes);
    merged.set(bytes, before.bytes.length);
    before.bytes = merged;
  }
}

function megapixels(width: number, height: number): number {
  return Math.round((width * height) / 10_000) / 100;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
    : `${Math.ceil(bytes / 1024)} KiB`;
}

function hexSignature(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 8)).toString('hex');
}

/**
 * Reads the image's header with ranged reads and returns the verdict. Reads at most
 * READ_PLAN.maxBytesRead bytes and never past the object's end; read errors propagate.
 */
export async function probeImageHeader(read: ReadRange, limits: DimensionLimits): Promise<ProbeResult> {
  const { object, head } = await RangedObject.open(read);
  const objectBytes = object.size;
  const format = detectImageFormat(head);
  const facts = (extra: Partial<DimensionFacts> = {}): DimensionFacts => ({
    format,
    ...extra,
    objectBytes,
    bytesRead: object.bytesRead,
  });
  const done = (verdict: DimensionVerdict): ProbeResult => ({ verdict, requests: object.requests });

  if (objectBytes > limits.maxObjectBytes) {
    return done(
      reject(facts(), {
        reason: RejectionReason.imageTooLarge,
        detail: `The file is ${formatBytes(objectBytes)}; files may be at most ${formatBytes(limits.maxObjectBytes)}.`,
        evidence: { objectBytes, maxObjectBytes: limits.maxObjectBytes },
      }),
    );
  }
  if (format !== 'jpeg') {
    const detail =
      objectBytes === 0
        ? 'The file is empty; only JPEG photos are accepted.'
        : format === 'unknown'
          ? 'The file is not an image; only JPEG photos are accepted.'
          : `The file is ${FORMAT_NAMES[format]}; only JPEG photos are accepted.`;
    return done(
      reject(facts(), {
        reason: RejectionReason.unsupportedType,
        detail,
        evidence: { format, signature: hexSignature(head) },
      }),
    );
  }

  const walker = walkJpegHeader(objectBytes);
  let step = walker.next();
  while (!step.done) {
    const bytes = await object.bytesAt(step.value.offset, step.value.length);
    if (!bytes) return done(readLimitRejection(facts(), step.value.offset));
    step = walker.next(bytes);
  }
  const outcome = step.value;
  if (!outcome.ok) {
    return done(
      reject(facts(), {
        reason: RejectionReason.corruptImage,
        detail: `The JPEG file is damaged: ${outcome.message}.`,
        evidence: { problem: outcome.problem, offset: outcome.offset },
      }),
    );
  }
  return done(judgeSize(outcome.header, facts, limits));
}

function readLimitRejection(facts: DimensionFacts, offset: number): DimensionVerdict {
  return reject(facts, {
    reason: RejectionReason.corruptImage,
    detail: `The JPEG file is damaged: no frame header was found in the first ${formatBytes(READ_PLAN.maxBytesRead)} read.`,
    evidence: { problem: 'READ_LIMIT', offset, maxBytesRead: READ_PLAN.maxBytesRead },
  });
}

function judgeSize(
  header: JpegHeader,
  facts: (extra?: Partial<DimensionFacts>) => DimensionFacts,
  limits: DimensionLimits,
): DimensionVerdict {
  const { width, height } = header;
  const mp = megapixels(width, height);
  const measured = facts({
    width,
    height,
    ...(header.orientation !== undefined ? { orientation: header.orientation } : {}),
    megapixels: mp,
  });
  const size = `${width}×${height} px`;
  let rejection: Rejection | undefined;
  if (header.process === 'hierarchical') {
    rejection = {
      reason: RejectionReason.unsupportedType,
      detail:
        'The file is a hierarchical JPEG, which cannot be processed; please save it as a standard JPEG.',
      evidence: { format: 'jpeg', process: header.process, width, height },
    };
  } else if (
    width > limits.maxSide ||
    height > limits.maxSide ||
    width * height > limits.maxMegapixels * 1e6
  ) {
    rejection = {
      reason: RejectionReason.imageTooLarge,
      detail: `The photo is ${size} (${mp} megapixels); the limit is ${limits.maxSide} px per side and ${limits.maxMegapixels} megapixels.`,
      evidence: {
        width,
        height,
        megapixels: mp,
        maxSide: limits.maxSide,
        maxMegapixels: limits.maxMegapixels,
      },
    };
  } else if (width < limits.minSide || height < limits.minSide) {
    rejection = {
      reason: RejectionReason.imageTooSmall,
      detail: `The photo is ${size}; both sides must be at least ${limits.minSide} px.`,
      evidence: { width, height, minSide: limits.minSide },
    };
  }
  return rejection ? reject(measured, rejection) : accept(measured);
}
