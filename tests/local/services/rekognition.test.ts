import {
  DetectLabelsCommand,
  DetectModerationLabelsCommand,
  RekognitionClient,
} from '@aws-sdk/client-rekognition';
import sharp from 'sharp';
import { declareLabels } from '../../../local/services';
import { clientConfig, type RunningServices, rejectionOf, startServices } from './harness';

const plainJpeg = () =>
  sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
    .jpeg()
    .toBuffer();

describe('Rekognition stand-in', () => {
  const bucketObjects = new Map<string, Buffer>();
  let services: RunningServices;
  let rekognition: RekognitionClient;
  let labelledImage: Buffer;

  beforeAll(async () => {
    labelledImage = await declareLabels(await plainJpeg(), {
      labels: [
        { name: 'Person', confidence: 98.5, instances: 2, parents: [], categories: ['Person Description'] },
        { name: 'Dog', confidence: 70, parents: ['Animal', 'Pet'], aliases: ['Puppy'] },
        { name: 'Cat', confidence: 40 },
      ],
      moderation: [
        { name: 'Explicit Nudity', confidence: 91 },
        { name: 'Graphic Male Nudity', confidence: 80.2, parent: 'Explicit Nudity' },
      ],
    });
    bucketObjects.set('photos/labelled.jpg', labelledImage);
    services = await startServices({
      readObject: async (bucket, key) => {
        const object = bucket === 'uploads' ? bucketObjects.get(key) : undefined;
        if (!object) throw new Error('NoSuchKey');
        return object;
      },
    });
    rekognition = new RekognitionClient(clientConfig(services.endpoint));
  });

  afterAll(async () => {
    rekognition.destroy();
    await services.close();
  });

  it('returns the labels an image declares, in the DetectLabels response shape', async () => {
    const result = await rekognition.send(new DetectLabelsCommand({ Image: { Bytes: labelledImage } }));

    expect(result.LabelModelVersion).toBe('3.0');
    expect(result.Labels).toEqual([
      {
        Name: 'Person',
        Confidence: 98.5,
        Instances: [
          { BoundingBox: { Width: 0.4, Height: 0.8, Left: 0.05, Top: 0.1 }, Confidence: 98.5 },
          { BoundingBox: { Width: 0.4, Height: 0.8, Left: 0.55, Top: 0.1 }, Confidence: 98.5 },
        ],
        Parents: [],
        Aliases: [],
        Categories: [{ Name: 'Person Description' }],
      },
      {
        Name: 'Dog',
        Confidence: 70,
        Instances: [],
        Parents: [{ Name: 'Animal' }, { Name: 'Pet' }],
        Aliases: [{ Name: 'Puppy' }],
        Categories: [],
      },
    ]);
  });

  it('honours MinConfidence and MaxLabels, keeping the most confident labels', async () => {
    const lowThreshold = await rekognition.send(
      new DetectLabelsCommand({ Image: { Bytes: labelledImage }, MinConfidence: 30 }),
    );
    const limited = await rekognition.send(
      new DetectLabelsCommand({ Image: { Bytes: labelledImage }, MinConfidence: 30, MaxLabels: 2 }),
    );

    expect(lowThreshold.Labels?.map((label) => label.Name)).toEqual(['Person', 'Dog', 'Cat']);
    expect(limited.Labels?.map((label) => label.Name)).toEqual(['Person', 'Dog']);
  });

  it('returns only the labels LabelInclusionFilters name, before MaxLabels counts them', async () => {
    const result = await rekognition.send(
      new DetectLabelsCommand({
        Image: { Bytes: labelledImage },
        MaxLabels: 1,
        Settings: { GeneralLabels: { LabelInclusionFilters: ['Dog'] } },
      }),
    );

    expect(result.Labels?.map((label) => label.Name)).toEqual(['Dog']);
  });

  it('leaves out the labels LabelExclusionFilters and LabelCategoryExclusionFilters name', async () => {
    const byName = await rekognition.send(
      new DetectLabelsCommand({
        Image: { Bytes: labelledImage },
        MinConfidence: 30,
        Settings: { GeneralLabels: { LabelExclusionFilters: ['Person'] } },
      }),
    );
    const byCategory = await rekognition.send(
      new DetectLabelsCommand({
        Image: { Bytes: labelledImage },
        MinConfidence: 30,
        Settings: { GeneralLabels: { LabelCategoryExclusionFilters: ['Person Description'] } },
      }),
    );
    const includedCategory = await rekognition.send(
      new DetectLabelsCommand({
        Image: { Bytes: labelledImage },
        Settings: { GeneralLabels: { LabelCategoryInclusionFilters: ['Person Description'] } },
      }),
    );

    expect(byName.Labels?.map((label) => label.Name)).toEqual(['Dog', 'Cat']);
    expect(byCategory.Labels?.map((label) => label.Name)).toEqual(['Dog', 'Cat']);
    expect(includedCategory.Labels?.map((label) => label.Name)).toEqual(['Person']);
  });

  it('refuses label filters beyond Rekognition limits with InvalidParameterException', async () => {
    const error = await rejectionOf(
      rekognition.send(
        new DetectLabelsCommand({
          Image: { Bytes: labelledImage },
          Settings: { GeneralLabels: { LabelInclusionFilters: ['x'.repeat(51)] } },
        }),
      ),
    );

    expect(error.name).toBe('InvalidParameterException');
  });

  it('returns declared moderation labels with their taxonomy', async () => {
    const result = await rekognition.send(
      new DetectModerationLabelsCommand({ Image: { Bytes: labelledImage } }),
    );

    expect(result.ModerationModelVersion).toBe('7.0');
    expect(result.ModerationLabels).toEqual([
      { Confidence: 91, Name: 'Explicit Nudity', ParentName: '', TaxonomyLevel: 1 },
      { Confidence: 80.2, Name: 'Graphic Male Nudity', ParentName: 'Explicit Nudity', TaxonomyLevel: 2 },
    ]);
  });

  it('leaves out moderation labels below MinConfidence', async () => {
    const result = await rekognition.send(
      new DetectModerationLabelsCommand({ Image: { Bytes: labelledImage }, MinConfidence: 85 }),
    );

    expect(result.ModerationLabels?.map((label) => label.Name)).toEqual(['Explicit Nudity']);
  });

  it('finds no labels in images without a declaration, JPEG or PNG', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } })
      .png()
      .toBuffer();

    const jpegLabels = await rekognition.send(
      new DetectLabelsCommand({ Image: { Bytes: await plainJpeg() } }),
    );
    const pngModeration = await rekognition.send(
      new DetectModerationLabelsCommand({ Image: { Bytes: png } }),
    );

    expect(jpegLabels.Labels).toEqual([]);
    expect(pngModeration.ModerationLabels).toEqual([]);
  });

  it('reads an S3Object image through the readObject callback', async () => {
    const result = await rekognition.send(
      new DetectModerationLabelsCommand({
        Image: { S3Object: { Bucket: 'uploads', Name: 'photos/labelled.jpg' } },
      }),
    );

    expect(result.ModerationLabels?.[0]?.Name).toBe('Explicit Nudity');
  });

  it('answers InvalidS3ObjectException for an object that cannot be read', async () => {
    const error = await rejectionOf(
      rekognition.send(
        new DetectLabelsCommand({ Image: { S3Object: { Bucket: 'uploads', Name: 'missing.jpg' } } }),
      ),
    );

    expect(error.name).toBe('InvalidS3ObjectException');
  });

  it('answers InvalidImageFormatException for bytes that are not an image', async () => {
    const error = await rejectionOf(
      rekognition.send(
        new DetectLabelsCommand({ Image: { Bytes: Buffer.from('definitely not a picture') } }),
      ),
    );

    expect(error.name).toBe('InvalidImageFormatException');
  });

  it('answers InvalidImageFormatException for formats other than JPEG and PNG', async () => {
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123' } })
      .gif()
      .toBuffer();

    const error = await rejectionOf(
      rekognition.send(new DetectModerationLabelsCommand({ Image: { Bytes: gif } })),
    );

    expect(error.name).toBe('InvalidImageFormatException');
  });

  it('answers InvalidImageFormatException for a JPEG whose header is intact but whose data is cut off', async () => {
    const photo = await sharp({
      create: {
        width: 640,
        height: 480,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .jpeg()
      .toBuffer();
    const damaged = photo.subarray(0, Math.floor(photo.length / 2));
    expect(await sharp(damaged).metadata()).toMatchObject({ format: 'jpeg', width: 640, height: 480 });

    const error = await rejectionOf(
      rekognition.send(new DetectModerationLabelsCommand({ Image: { Bytes: damaged } })),
    );

    expect(error.name).toBe('InvalidImageFormatException');
  });

  it('answers ImageTooLargeException for image bytes over 5 MB', async () => {
    const oversized = Buffer.concat([labelledImage, Buffer.alloc(5 * 1024 * 1024)]);

    const error = await rejectionOf(
      rekognition.send(new DetectModerationLabelsCommand({ Image: { Bytes: oversized } })),
    );

    expect(error.name).toBe('ImageTooLargeException');
  });

  it('answers InvalidParameterException for a MinConfidence above 100', async () => {
    const error = await rejectionOf(
      rekognition.send(new DetectLabelsCommand({ Image: { Bytes: labelledImage }, MinConfidence: 101 })),
    );

    expect(error.name).toBe('InvalidParameterException');
  });
});
