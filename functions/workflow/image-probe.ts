import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { imageSize } from 'image-size';
import { typeHandlers, types } from 'image-size/types/index';
import { accept, type Rejection, RejectionReason, reject, type UploadRef, type Verdict } from './workflow';

/**
 * "Check dimensions": decides from an image's first bytes, read with ranged GETs, whether the
 * workflow should go on. `image-size` names the type (by magic bytes, never the file name or
 * Content-Type) and reads the size and EXIF orientation. What it cannot do is read a file in
 * ranges: it needs the frame header in the bytes it is given, and a large APP segment (XMP,
 * ICC profile) can push that past the first read. So this module follows the JPEG segment
 * lengths with small ranged reads until the frame header, and hands image-size the SOI, the
 * EXIF segment and the frame header. A bad image is a rejection; only read failures throw.
 */

/** The file's type as image-size names it ('jpeg' for its 'jpg'); 'unknown' when nothing matches. */
export type ImageFormat = string;

const FORMAT_NAMES: Record<string, string> = {
  png: 'a PNG image',
  gif: 'a GIF image',
  webp: 'a WebP image',
  bmp: 'a BMP image',
  tiff: 'a TIFF image',
  heif: 'a HEIF/HEIC or AVIF image',
  jxl: 'a JPEG XL image',
  'jxl-stream': 'a JPEG XL image',
  jp2: 'a JPEG 2000 image',
  j2c: 'a JPEG 2000 image',
  svg: 'an SVG image',
  psd: 'a Photoshop image',
};

/** The type whose image-size signature check accepts the bytes (a check may throw on short input). */
export function detectImageFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.length === 0) return 'unknown';
  const type = types.find((name) => {
    try {
      return typeHandlers.get(name)?.validate(bytes) === true;
    } catch {
      return false;
    }
  });
  if (type === 'jpg') return 'jpeg';
  return type ?? 'unknown';
}

/** The one JPEG sniffer of the code base: SOI (FF D8) at the start, by image-size's signature. */
export function isJpeg(bytes: Uint8Array): boolean {
  return detectImageFormat(bytes) === 'jpeg';
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
    const name = FORMAT_NAMES[format] ?? `an image of type ${format.toUpperCase()}`;
    const detail =
      objectBytes === 0
        ? 'The file is empty; only JPEG photos are accepted.'
        : format === 'unknown'
          ? 'The file is not an image; only JPEG photos are accepted.'
          : `The file is ${name}; only JPEG photos are accepted.`;
    return done(
      reject(facts(), {
        reason: RejectionReason.unsupportedType,
        detail,
        evidence: { format, signature: hexSignature(head) },
      }),
    );
  }

  const found = await findJpegHeader(object);
  if (!found.ok) {
    return done(
      reject(facts(), {
        reason: RejectionReason.corruptImage,
        detail: `The JPEG file is damaged: ${found.message}.`,
        evidence: { problem: found.problem, offset: found.offset, ...found.evidence },
      }),
    );
  }
  return done(judgeSize(found.size, facts, limits));
}

/** A JPEG segment: the offset of its marker's FF, its marker code, its length field. */
interface Segment {
  offset: number;
  marker: number;
  length: number;
}

type JpegProblem =
  | 'BAD_MARKER'
  | 'BAD_SEGMENT'
  | 'NO_FRAME_HEADER'
  | 'BAD_FRAME'
  | 'TRUNCATED'
  | 'READ_LIMIT';

type JpegHeaderOutcome =
  | { ok: true; size: { width: number; height: number; orientation?: number } }
  | {
      ok: false;
      problem: JpegProblem;
      offset: number;
      message: string;
      evidence?: Record<string, unknown>;
    };

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP1 = 0xe1;
const TEM = 0x01;
const EXIF_ID = 'Exif\0\0';
/** The frames image-size measures: baseline, extended sequential, progressive (Huffman). */
const MEASURED_FRAMES = new Set([0xc0, 0xc1, 0xc2]);
/** An empty COM segment: image-size expects a segment between SOI and the frame header. */
const EMPTY_COMMENT = Uint8Array.of(0xff, 0xfe, 0x00, 0x02);

/** SOFn: C0–CF except DHT (C4), JPG (C8) and DAC (CC). */
function isFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function hex(marker: number): string {
  return `FF${marker.toString(16).toUpperCase().padStart(2, '0')}`;
}

function problem(
  kind: JpegProblem,
  offset: number,
  message: string,
  evidence?: Record<string, unknown>,
): JpegHeaderOutcome {
  return { ok: false, problem: kind, offset, message, ...(evidence ? { evidence } : {}) };
}

/**
 * Follows the segment lengths from SOI (ITU T.81 B.1.1: `FF <marker> <u16 length> <payload>`,
 * optional FF fill bytes, standalone RSTn/TEM) to the frame header, reading only segment headers,
 * never the payload of a segment it skips; then lets image-size read SOI + EXIF + frame header.
 */
async function findJpegHeader(object: RangedObject): Promise<JpegHeaderOutcome> {
  const size = object.size;
  const truncated = (offset: number, where: string) =>
    problem('TRUNCATED', offset, `the file ends ${where}, before the frame header that gives the image size`);
  const readLimit = (offset: number) =>
    problem(
      'READ_LIMIT',
      offset,
      `no frame header was found in the first ${formatBytes(READ_PLAN.maxBytesRead)} read`,
      { maxBytesRead: READ_PLAN.maxBytesRead },
    );

  let exif: Segment | undefined;
  let position = 2;
  for (;;) {
    if (position + 2 > size) return truncated(position, 'between two segments');
    const lead = await object.bytesAt(position, 1);
    if (!lead) return readLimit(position);
    if (lead[0] !== 0xff) {
      return problem('BAD_MARKER', position, `byte ${position} should start a marker but is not 0xFF`);
    }
    let cursor = position + 1;
    let marker: number | undefined;
    while (marker === undefined) {
      if (cursor >= size) return truncated(cursor, 'inside a run of fill bytes');
      const view = await object.bytesAt(cursor, 1);
      if (!view) return readLimit(cursor);
      let index = 0;
      while (index < view.length && view[index] === 0xff) index++;
      cursor += index;
      if (index < view.length) marker = view[index];
    }
    const markerOffset = cursor - 1;
    cursor += 1;
    if (marker === 0x00) {
      return problem('BAD_MARKER', markerOffset, `byte ${markerOffset} is FF00, which is not a marker`);
    }
    if (marker === TEM || (marker >= 0xd0 && marker <= 0xd7)) {
      position = cursor; // standalone marker, no length
      continue;
    }
    if (marker === SOI || marker === EOI || marker === SOS) {
      return problem(
        'NO_FRAME_HEADER',
        markerOffset,
        `marker ${hex(marker)} at byte ${markerOffset} comes before any frame header`,
      );
    }
    if (cursor + 2 > size) return truncated(cursor, `inside the ${hex(marker)} segment header`);
    const lengthBytes = await object.bytesAt(cursor, 2);
    if (!lengthBytes) return readLimit(cursor);
    const length = ((lengthBytes[0] ?? 0) << 8) | (lengthBytes[1] ?? 0);
    if (length < 2 || (isFrameMarker(marker) && length < 8)) {
      return problem(
        'BAD_SEGMENT',
        markerOffset,
        `segment ${hex(marker)} at byte ${markerOffset} has length ${length}`,
      );
    }
    if (cursor + length > size) return truncated(cursor, `inside the ${hex(marker)} segment`);
    const segment = { offset: markerOffset, marker, length };
    if (isFrameMarker(marker)) return measureFrame(object, segment, exif);
    if (marker === APP1 && !exif && length >= 2 + EXIF_ID.length + 8) {
      const id = await object.bytesAt(cursor + 2, EXIF_ID.length);
      if (!id) return readLimit(cursor);
      if (Buffer.from(id.subarray(0, EXIF_ID.length)).toString('latin1') === EXIF_ID) exif = segment;
    }
    position = cursor + length;
  }
}

/** image-size reads the size and EXIF orientation from SOI + the EXIF segment + the frame header. */
async function measureFrame(
  object: RangedObject,
  frame: Segment,
  exif: Segment | undefined,
): Promise<JpegHeaderOutcome> {
  if (!MEASURED_FRAMES.has(frame.marker)) {
    return problem(
      'BAD_FRAME',
      frame.offset,
      `its frame header ${hex(frame.marker)} names a coding process (lossless, arithmetic or hierarchical) that cannot be processed; please save it as a standard JPEG`,
      { marker: hex(frame.marker) },
    );
  }
  const bytesOf = async (segment: Segment) => {
    const bytes = await object.bytesAt(segment.offset, 2 + segment.length);
    return bytes?.subarray(0, 2 + segment.length);
  };
  const frameBytes = await bytesOf(frame);
  const exifBytes = exif ? await bytesOf(exif) : EMPTY_COMMENT;
  if (!frameBytes || !exifBytes)
    return problem('READ_LIMIT', frame.offset, 'the frame header could not be read');
  const measure = (first: Uint8Array) =>
    imageSize(Buffer.concat([Uint8Array.of(0xff, SOI), first, frameBytes]));
  let measured: ReturnType<typeof imageSize>;
  try {
    // A malformed EXIF block is optional metadata: the size is then read without it.
    measured = measureOr(
      () => measure(exifBytes),
      () => measure(EMPTY_COMMENT),
    );
  } catch (error) {
    return problem(
      'BAD_FRAME',
      frame.offset,
      `its frame header cannot be read (${(error as Error).message})`,
    );
  }
  const { width, height, orientation } = measured;
  if (!width || !height) {
    return problem('BAD_FRAME', frame.offset, `the frame header declares a size of ${width}×${height} px`);
  }
  // EXIF orientations 5–8 store the image a quarter turn rotated; anything outside 1–8 is ignored.
  const known = orientation !== undefined && orientation >= 1 && orientation <= 8 ? orientation : undefined;
  const swapped = known !== undefined && known >= 5;
  return {
    ok: true,
    size: {
      width: swapped ? height : width,
      height: swapped ? width : height,
      ...(known !== undefined ? { orientation: known } : {}),
    },
  };
}

function measureOr<T>(first: () => T, fallback: () => T): T {
  try {
    return first();
  } catch {
    return fallback();
  }
}

function judgeSize(
  header: { width: number; height: number; orientation?: number },
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
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxMegapixels * 1e6) {
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
