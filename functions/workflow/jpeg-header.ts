/**
 * A JPEG segment walker that finds the frame size and the EXIF orientation without needing the
 * whole file. It does no I/O: it is a generator that yields "I need `length` bytes at `offset`"
 * and is resumed with a view that starts at that offset and holds at least that many bytes
 * (more is welcome: the walker uses whatever it is given). Whoever drives it decides where the
 * bytes come from — a buffer, ranged S3 GETs — and how much to read ahead.
 *
 * The walker follows segment lengths: it asks for a segment's 4-byte header, never for the
 * payload of a segment it does not care about, so a large APP1 (XMP, extended XMP) or APP2
 * (ICC profile) in front of the frame header costs one small read, not its size.
 *
 * Layout (ITU T.81, B.1.1): SOI, then segments `FF <marker> <length: u16 BE, includes itself>
 * <payload>`, any marker optionally preceded by 0xFF fill bytes; standalone markers (RSTn, TEM)
 * have no length. The frame header SOFn holds `<precision: u8> <height: u16> <width: u16>
 * <components: u8>`. EXIF lives in APP1 as `Exif\0\0` followed by a TIFF structure whose first
 * IFD holds the Orientation tag (0x0112).
 */

/** A request for bytes: resume the walker with a view starting at `offset`, at least `length` long. */
export interface ByteNeed {
  offset: number;
  length: number;
}

/** EXIF orientation, 1 (upright) … 8; 5–8 store the image rotated a quarter turn. */
export type ExifOrientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/**
 * The coding process named by the frame marker. Hierarchical (SOF5–7, SOF13–15) and the reserved
 * JPG marker are not decoded by libjpeg(-turbo), so sharp cannot read such files.
 */
export type JpegProcess = 'baseline' | 'extended' | 'progressive' | 'lossless' | 'hierarchical';

export interface JpegHeader {
  /** Width and height as displayed, after EXIF orientation (5–8 swap them). */
  width: number;
  height: number;
  /** Width and height as stored in the frame header. */
  storedWidth: number;
  storedHeight: number;
  /** From the first APP1 Exif segment before the frame header; absent when there is none. */
  orientation?: ExifOrientation;
  process: JpegProcess;
  /** Bits per sample (8 for nearly every photo). */
  precision: number;
  /** 1 for grayscale, 3 for YCbCr, 4 for CMYK/YCCK. */
  components: number;
  /** Offset of the frame header's FF byte. */
  frameOffset: number;
}

export type JpegProblem =
  /** The file does not start with SOI (FF D8). */
  | 'NOT_JPEG'
  /** A byte where a marker must start is not 0xFF, or the marker code is invalid here. */
  | 'BAD_MARKER'
  /** A segment length below 2, or a frame header too short to hold the size. */
  | 'BAD_SEGMENT'
  /** SOS, EOI or a second SOI came before any frame header. */
  | 'NO_FRAME_HEADER'
  /** The frame header declares a zero width or height (height-by-DNL is not supported). */
  | 'BAD_FRAME'
  /** The file ends before the frame header, or inside a segment. */
  | 'TRUNCATED';

export type JpegWalkOutcome =
  | { ok: true; header: JpegHeader }
  | { ok: false; problem: JpegProblem; offset: number; message: string };

/** The walker: yields byte needs, is resumed with views, returns the outcome. */
export type JpegWalker = Generator<ByteNeed, JpegWalkOutcome, Uint8Array>;

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const APP1 = 0xe1;
const TEM = 0x01;
const EXIF_ID = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]; // "Exif\0\0"
const ORIENTATION_TAG = 0x0112;
const TIFF_SHORT = 3;

/** Frame markers and their process; C4 (DHT), C8 (JPG, reserved) and CC (DAC) are not frames. */
function frameProcess(marker: number): JpegProcess | undefined {
  switch (marker) {
    case 0xc0:
      return 'baseline';
    case 0xc1:
    case 0xc9:
      return 'extended';
    case 0xc2:
    case 0xca:
      return 'progressive';
    case 0xc3:
    case 0xcb:
      return 'lossless';
    case 0xc5:
    case 0xc6:
    case 0xc7:
    case 0xc8:
    case 0xcd:
    case 0xce:
    case 0xcf:
      return 'hierarchical';
    default:
      return undefined;
  }
}

function hex(marker: number): string {
  return `FF${marker.toString(16).toUpperCase().padStart(2, '0')}`;
}

function u16be(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

function corrupt(problem: JpegProblem, offset: number, message: string): JpegWalkOutcome {
  return { ok: false, problem, offset, message };
}

/**
 * Walks a JPEG of `objectSize` bytes from its start to the first frame header. Never asks for
 * bytes at or beyond `objectSize`; a structure that would need them ends the walk as TRUNCATED.
 */
export function* walkJpegHeader(objectSize: number): JpegWalker {
  const truncated = (offset: number, what: string) =>
    corrupt('TRUNCATED', offset, `the file ends ${what}, before the frame header that gives the image size`);

  if (objectSize < 2) return truncated(0, 'after its first bytes');
  const start = yield { offset: 0, length: 2 };
  if (start[0] !== 0xff || start[1] !== SOI)
    return corrupt('NOT_JPEG', 0, 'the file does not start with SOI');

  let orientation: ExifOrientation | undefined;
  let exifSeen = false;
  let position = 2;
  for (;;) {
    // A marker: FF, any number of FF fill bytes, then the marker code.
    if (position + 2 > objectSize) return truncated(position, 'between two segments');
    const lead = yield { offset: position, length: 2 };
    if (lead[0] !== 0xff) {
      return corrupt('BAD_MARKER', position, `byte ${position} should start a marker but is not 0xFF`);
    }
    let cursor = position + 1;
    let marker: number | undefined;
    while (marker === undefined) {
      if (cursor >= objectSize) return truncated(cursor, 'inside a run of fill bytes');
      const view = yield { offset: cursor, length: 1 };
      let index = 0;
      while (index < view.length && view[index] === 0xff) index++;
      cursor += index;
      if (index < view.length) marker = view[index];
    }
    const markerOffset = cursor - 1;
    cursor += 1;

    if (marker === 0x00) {
      return corrupt('BAD_MARKER', markerOffset, `byte ${markerOffset} is FF00, which is not a marker`);
    }
    if (marker === TEM || (marker >= 0xd0 && marker <= 0xd7)) {
      position = cursor; // standalone marker, no length
      continue;
    }
    if (marker === SOI || marker === EOI || marker === SOS) {
      return corrupt(
        'NO_FRAME_HEADER',
        markerOffset,
        `marker ${hex(marker)} at byte ${markerOffset} comes before any frame header`,
      );
    }

    if (cursor + 2 > objectSize) return truncated(cursor, `inside the ${hex(marker)} segment header`);
    const lengthBytes = yield { offset: cursor, length: 2 };
    const length = u16be(lengthBytes, 0);
    if (length < 2) {
      return corrupt(
        'BAD_SEGMENT',
        markerOffset,
        `segment ${hex(marker)} at byte ${markerOffset} has length ${length}`,
      );
    }
    const segmentEnd = cursor + length;

    const process = frameProcess(marker);
    if (process !== undefined) {
      if (length < 8) {
        return corrupt(
          'BAD_SEGMENT',
          markerOffset,
          `frame header at byte ${markerOffset} is only ${length} bytes`,
        );
      }
      if (segmentEnd > objectSize) return truncated(cursor, 'inside the frame header');
      const frame = yield { offset: cursor, length: 8 };
      const precision = frame[2] ?? 0;
      const storedHeight = u16be(frame, 3);
      const storedWidth = u16be(frame, 5);
      const components = frame[7] ?? 0;
      if (storedWidth === 0 || storedHeight === 0) {
        return corrupt(
          'BAD_FRAME',
          markerOffset,
          `the frame header declares a size of ${storedWidth}×${storedHeight} px`,
        );
      }
      const swapped = orientation !== undefined && orientation >= 5;
      const header: JpegHeader = {
        width: swapped ? storedHeight : storedWidth,
        height: swapped ? storedWidth : storedHeight,
        storedWidth,
        storedHeight,
        process,
        precision,
        components,
        frameOffset: markerOffset,
      };
      if (orientation !== undefined) header.orientation = orientation;
      return { ok: true, header };
    }

    if (segmentEnd > objectSize) return truncated(cursor, `inside the ${hex(marker)} segment`);
    if (marker === APP1 && !exifSeen && length >= 2 + EXIF_ID.length + 8) {
      const id = yield { offset: cursor + 2, length: EXIF_ID.length };
      if (EXIF_ID.every((byte, index) => id[index] === byte)) {
        exifSeen = true;
        orientation = yield* readExifOrientation(cursor + 2 + EXIF_ID.length, segmentEnd);
      }
    }
    position = segmentEnd;
  }
}

/**
 * Reads the Orientation tag from IFD0 of the TIFF structure at `tiffStart`, staying inside the
 * APP1 segment (`end` exclusive). A malformed or absent tag gives undefined: EXIF is optional
 * metadata, a damaged one does not make the image unreadable.
 */
function* readExifOrientation(
  tiffStart: number,
  end: number,
): Generator<ByteNeed, ExifOrientation | undefined, Uint8Array> {
  const header = yield { offset: tiffStart, length: 8 };
  const littleEndian = header[0] === 0x49 && header[1] === 0x49; // "II"
  const bigEndian = header[0] === 0x4d && header[1] === 0x4d; // "MM"
  if (!littleEndian && !bigEndian) return undefined;
  const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tiff = view(header);
  if (tiff.getUint16(2, littleEndian) !== 42) return undefined;
  const ifdStart = tiffStart + tiff.getUint32(4, littleEndian);
  if (ifdStart < tiffStart + 8 || ifdStart + 2 > end) return undefined;

  const countBytes = yield { offset: ifdStart, length: 2 };
  const count = view(countBytes).getUint16(0, littleEndian);
  const tableLength = count * 12;
  if (count === 0 || ifdStart + 2 + tableLength > end) return undefined;

  const table = view(yield { offset: ifdStart + 2, length: tableLength });
  for (let entry = 0; entry < tableLength; entry += 12) {
    if (table.getUint16(entry, littleEndian) !== ORIENTATION_TAG) continue;
    if (
      table.getUint16(entry + 2, littleEndian) !== TIFF_SHORT ||
      table.getUint32(entry + 4, littleEndian) < 1
    ) {
      return undefined;
    }
    const value = table.getUint16(entry + 8, littleEndian);
    return value >= 1 && value <= 8 ? (value as ExifOrientation) : undefined;
  }
  return undefined;
}

/**
 * Runs the walker over bytes already in memory: the start of a JPEG of `objectSize` bytes
 * (the whole file by default). When the walker needs bytes beyond `prefix`, the answer is
 * `{ ok: 'incomplete', need }`: read from `need.offset` and try again with more.
 */
export function readJpegHeader(
  prefix: Uint8Array,
  objectSize: number = prefix.length,
): JpegWalkOutcome | { ok: 'incomplete'; need: ByteNeed } {
  const walker = walkJpegHeader(objectSize);
  let step = walker.next();
  while (!step.done) {
    const { offset, length } = step.value;
    if (offset + length > prefix.length) {
      walker.return(corrupt('TRUNCATED', offset, 'stopped'));
      return { ok: 'incomplete', need: step.value };
    }
    step = walker.next(prefix.subarray(offset));
  }
  return step.value;
}
