import { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { handler } from '../../../../functions/workflow/resize';
import { fixture } from '../../../helpers/fixtures';

const s3 = mockClient(S3Client);

const uploadId = '0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90';
const tileKey = `tiles/ChIJ-central-park/${uploadId}.jpg`;
const scaledKey = `photos/ChIJ-central-park/${uploadId}.jpg`;
/** The default MAX_OBJECT_BYTES: the test environment leaves it unset. */
const maxObjectBytes = 10_485_760;

type TaskInput = { upload: { versionId?: string; key: string } };

let photo: Buffer;

beforeAll(async () => {
  photo = await sharp({
    create: {
      width: 1600,
      height: 1200,
      channels: 3,
      background: '#557799',
      noise: { type: 'gaussian', mean: 120, sigma: 30 },
    },
  })
    .jpeg()
    .withExif({
      IFD0: { Make: 'Apple', Model: 'iPhone 15 Pro' },
      IFD2: { DateTimeOriginal: '2026:05:01 14:03:59' },
    })
    .toBuffer();
});

/** A GetObject response whose body is the given bytes (a stream, as the SDK returns it in Node). */
function original(bytes: Buffer, contentLength: number | undefined = bytes.length) {
  return { Body: Readable.from([bytes]) as never, ContentLength: contentLength };
}

beforeEach(() => {
  s3.reset();
  s3.on(GetObjectCommand).resolves(original(photo));
  s3.on(PutObjectCommand).resolves({});
});

describe('Resize task', () => {
  it('reads the notified version of the original and returns the published copies with their URLs', async () => {
    const result = await handler(fixture('workflow/resize.json'));

    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: 'happy-path-backend-uploadbucket-example',
      Key: `ChIJ-central-park/${uploadId}.jpg`,
      VersionId: '3sL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY',
    });
    expect(result).toEqual({
      tileKey,
      scaledKey,
      tileUrl: `https://photos.example.com/${tileKey}`,
      scaledUrl: `https://photos.example.com/${scaledKey}`,
      width: 1600,
      height: 1200,
      scaledWidth: 600,
      scaledHeight: 450,
      camera: 'Apple iPhone 15 Pro',
      takenAt: '2026-05-01T14:03:59',
    });
  });

  it('writes both copies to the distribution bucket as immutable JPEGs, without an ACL', async () => {
    await handler(fixture('workflow/resize.json'));

    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 2);
    for (const key of [tileKey, scaledKey]) {
      expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
        Bucket: 'distribution-bucket',
        Key: key,
        ContentType: 'image/jpeg',
        CacheControl: 'public, max-age=31536000, immutable',
      });
    }
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    for (const put of puts) expect(put).not.toHaveProperty('ACL');
    const tile = puts.find((put) => put.Key === tileKey)?.Body as Buffer;
    expect(await sharp(tile).metadata()).toMatchObject({ format: 'jpeg', width: 400, height: 400 });
  });

  it('omits VersionId when the notification carried none', async () => {
    const event = fixture<TaskInput>('workflow/resize.json');
    delete event.upload.versionId;

    await handler(event);

    const input = s3.commandCalls(GetObjectCommand)[0]?.args[0].input;
    expect(input).toEqual({ Bucket: 'happy-path-backend-uploadbucket-example', Key: event.upload.key });
  });

  it('refuses an original over the size limit from its ContentLength, without reading the body', async () => {
    let bodyRead = false;
    const body = new Readable({
      read() {
        bodyRead = true;
        this.push(null);
      },
    });
    s3.on(GetObjectCommand).resolves({ Body: body as never, ContentLength: maxObjectBytes + 1 });

    await expect(handler(fixture('workflow/resize.json'))).rejects.toMatchObject({
      name: 'ImageTooLargeError',
      message: expect.stringContaining(`${maxObjectBytes + 1} bytes`),
    });
    expect(bodyRead).toBe(false);
    expect(body.destroyed).toBe(true);
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('stops reading an original without a ContentLength once it passes the size limit', async () => {
    s3.on(GetObjectCommand).resolves(original(Buffer.alloc(maxObjectBytes + 1), undefined));

    await expect(handler(fixture('workflow/resize.json'))).rejects.toMatchObject({
      name: 'ImageTooLargeError',
    });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('publishes nothing for a corrupt original and names the error for the state machine', async () => {
    s3.on(GetObjectCommand).resolves(original(photo.subarray(0, Math.floor(photo.length * 0.6))));

    await expect(handler(fixture('workflow/resize.json'))).rejects.toMatchObject({
      name: 'CorruptImageError',
    });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('lets NoSuchKey propagate, so the state machine records the failure', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );

    await expect(handler(fixture('workflow/resize.json'))).rejects.toMatchObject({ name: 'NoSuchKey' });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('fails when S3 refuses a copy, so the task is retried', async () => {
    s3.on(PutObjectCommand).rejects(new Error('SlowDown'));

    await expect(handler(fixture('workflow/resize.json'))).rejects.toThrow('SlowDown');
  });

  it('rejects input that does not follow the task contract', async () => {
    await expect(handler({ upload: { bucket: 'b' } })).rejects.toMatchObject({
      name: 'InvalidTaskInputError',
    });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });
});
