import { ServiceError } from './errors';
import { decodeImage, inspectImage, UnsupportedImageError } from './image';
import type { JsonObject, JsonOperationHandler } from './json-protocol';
import { filterLabels, type LabelFilters, type VisionEngine } from './vision';

/**
 * Rekognition DetectModerationLabels and DetectLabels: loads the image (Bytes or S3Object),
 * enforces Rekognition's limits and formats (JPEG or PNG that decodes completely; anything else,
 * including a JPEG cut off in its data, is InvalidImageFormatException), and asks the VisionEngine.
 */

export type ReadObject = (bucket: string, key: string) => Promise<Buffer>;

export interface RekognitionOptions {
  vision: VisionEngine;
  /** Reads S3 objects for `Image.S3Object`; without it such requests fail with InvalidS3ObjectException. */
  readObject?: ReadObject;
}

const MAX_BYTES_IMAGE = 5 * 1024 * 1024;
const MAX_S3_IMAGE = 15 * 1024 * 1024;

export function createRekognitionHandler(options: RekognitionOptions): JsonOperationHandler {
  return async (operation, input) => {
    switch (operation) {
      case 'DetectModerationLabels': {
        const minConfidence = readConfidence(input.MinConfidence);
        const image = await loadImage(input.Image, options.readObject);
        return options.vision.detectModerationLabels(image, minConfidence);
      }
      case 'DetectLabels': {
        const minConfidence = readConfidence(input.MinConfidence);
        const maxLabels = readMaxLabels(input.MaxLabels);
        const filters = readLabelFilters(input.Settings);
        const image = await loadImage(input.Image, options.readObject);
        const result = await options.vision.detectLabels(image, { minConfidence, maxLabels, filters });
        // Engines filter before MaxLabels (selectLabels); filtering again keeps the answer right
        // for an engine that does not.
        return { ...result, Labels: filterLabels(result.Labels, filters) };
      }
      default:
        throw new ServiceError(
          'UnknownOperationException',
          `The operation ${operation} is not supported by the local stand-in.`,
        );
    }
  };
}

async function loadImage(image: unknown, readObject: ReadObject | undefined): Promise<Buffer> {
  if (typeof image !== 'object' || image === null) throw invalidParameters();
  const { Bytes: bytes, S3Object: s3Object } = image as JsonObject;
  if ((bytes === undefined) === (s3Object === undefined)) throw invalidParameters();
  const buffer = bytes !== undefined ? decodeBytes(bytes) : await readS3Image(s3Object, readObject);
  try {
    await inspectImage(buffer);
    await decodeImage(buffer);
  } catch (error) {
    if (error instanceof UnsupportedImageError) {
      throw new ServiceError('InvalidImageFormatException', 'Request has invalid image format');
    }
    throw error;
  }
  return buffer;
}

function decodeBytes(bytes: unknown): Buffer {
  if (typeof bytes !== 'string') throw invalidParameters();
  const buffer = Buffer.from(bytes, 'base64');
  if (buffer.length > MAX_BYTES_IMAGE)
    throw new ServiceError('ImageTooLargeException', 'Image size is too large.');
  if (buffer.length === 0)
    throw new ServiceError('InvalidImageFormatException', 'Request has invalid image format');
  return buffer;
}

async function readS3Image(s3Object: unknown, readObject: ReadObject | undefined): Promise<Buffer> {
  const { Bucket: bucket, Name: name } = (s3Object ?? {}) as JsonObject;
  if (typeof bucket !== 'string' || typeof name !== 'string' || bucket === '' || name === '') {
    throw invalidParameters();
  }
  let buffer: Buffer;
  try {
    if (!readObject) throw new Error('no S3 reader configured');
    buffer = await readObject(bucket, name);
  } catch {
    throw new ServiceError(
      'InvalidS3ObjectException',
      'Unable to get object metadata from S3. Check object key, region and/or access permissions.',
    );
  }
  if (buffer.length > MAX_S3_IMAGE)
    throw new ServiceError('ImageTooLargeException', 'Image size is too large.');
  return buffer;
}

function readConfidence(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= 100)) throw invalidParameters();
  return value;
}

function readMaxLabels(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidParameters();
  return value;
}

const MAX_FILTERS = 100;
const MAX_FILTER_LENGTH = 50;

/** `Settings.GeneralLabels` of DetectLabels, checked against Rekognition's limits. */
function readLabelFilters(settings: unknown): LabelFilters {
  if (settings === undefined || settings === null) return {};
  if (typeof settings !== 'object' || Array.isArray(settings)) throw invalidParameters();
  const general = (settings as JsonObject).GeneralLabels;
  if (general === undefined || general === null) return {};
  if (typeof general !== 'object' || Array.isArray(general)) throw invalidParameters();
  const list = (name: string): string[] | undefined => {
    const value = (general as JsonObject)[name];
    if (value === undefined || value === null) return undefined;
    if (
      !Array.isArray(value) ||
      value.length > MAX_FILTERS ||
      !value.every((item) => typeof item === 'string' && item.length <= MAX_FILTER_LENGTH)
    ) {
      throw invalidParameters();
    }
    return value as string[];
  };
  const filters: LabelFilters = {};
  const labelInclusion = list('LabelInclusionFilters');
  const labelExclusion = list('LabelExclusionFilters');
  const categoryInclusion = list('LabelCategoryInclusionFilters');
  const categoryExclusion = list('LabelCategoryExclusionFilters');
  if (labelInclusion) filters.labelInclusion = labelInclusion;
  if (labelExclusion) filters.labelExclusion = labelExclusion;
  if (categoryInclusion) filters.categoryInclusion = categoryInclusion;
  if (categoryExclusion) filters.categoryExclusion = categoryExclusion;
  return filters;
}

function invalidParameters(): ServiceError {
  return new ServiceError('InvalidParameterException', 'Request has invalid parameters');
}
