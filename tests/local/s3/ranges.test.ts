import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { resolveByteRange } from '../../../local/s3/proxy';
import { BUCKET, bodyText, type Harness, startHarness, VERSIONED_BUCKET } from './local-s3-harness';

describe('ranged GETs answered as S3 answers them', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
    for (const bucket of [BUCKET, VERSIONED_BUCKET]) {
      await harness.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'ten.bin', Body: '0123456789' }));
      await harness.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'empty.bin', Body: '' }));
    }
  });

  afterAll(async () => {
    await harness.close();
  });

  const ranged = (bucket: string, key: string, range: string) =>
    harness.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));

  describe.each([BUCKET, VERSIONED_BUCKET])('in bucket %s', (bucket) => {
    it.each([
      ['bytes=0-0', '0', 'bytes 0-0/10'],
      ['bytes=2-4', '234', 'bytes 2-4/10'],
      ['bytes=5-100', '56789', 'bytes 5-9/10'],
      ['bytes=7-', '789', 'bytes 7-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=-50', '0123456789', 'bytes 0-9/10'],
    ])('answers %s with 206, the bytes %p and Content-Range %p', async (range, body, contentRange) => {
      const object = await ranged(bucket, 'ten.bin', range);

      expect(object.$metadata.httpStatusCode).toBe(206);
      expect(object.ContentRange).toBe(contentRange);
      expect(object.ContentLength).toBe(body.length);
      expect(await bodyText(object)).toBe(body);
    });

    it.each([
      ['ten.bin', 'bytes=10-'],
      ['ten.bin', 'bytes=12-20'],
      ['empty.bin', 'bytes=0-0'],
      ['empty.bin', 'bytes=0-'],
      ['empty.bin', 'bytes=-1'],
    ])('answers 416 InvalidRange to %s with %s', async (key, range) => {
      const error = await ranged(bucket, key, range).then(
        () => undefined,
        (caught: unknown) => caught as S3ServiceException,
      );

      expect([error?.name, error?.$metadata.httpStatusCode]).toEqual(['InvalidRange', 416]);
    });

    it('ignores a range it does not support (several ranges) and answers the whole object', async () => {
      const object = await ranged(bucket, 'ten.bin', 'bytes=0-1,4-5');

      expect(object.$metadata.httpStatusCode).toBe(200);
      expect(await bodyText(object)).toBe('0123456789');
    });

    it('answers a ranged HEAD with 206 and the Content-Range', async () => {
      const head = await harness.client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: 'ten.bin', Range: 'bytes=0-0' }),
      );

      expect(head.$metadata.httpStatusCode).toBe(206);
      expect([head.ContentRange, head.ContentLength]).toEqual(['bytes 0-0/10', 1]);
    });
  });

  it('reads an unsatisfiable range, a suffix and an open end the way RFC 9110 and S3 do', () => {
    expect(resolveByteRange('bytes=0-0', 0)).toBe('unsatisfiable');
    expect(resolveByteRange('bytes=-0', 10)).toBe('unsatisfiable');
    expect(resolveByteRange('bytes=3-1', 10)).toBeUndefined();
    expect(resolveByteRange('items=0-1', 10)).toBeUndefined();
    expect(resolveByteRange('bytes=4-', 10)).toEqual({ start: 4, end: 9 });
  });
});
