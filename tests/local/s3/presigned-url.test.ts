import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BUCKET, type Harness, makeClient, parseErrorXml, startHarness, waitFor } from './local-s3-harness';

describe('presigned URLs and request authentication', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
    await harness.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'shared/photo one.jpg', Body: 'photo bytes' }),
    );
  });

  afterAll(async () => {
    await harness.close();
  });

  it('serves an object through a presigned GET URL', async () => {
    const url = await getSignedUrl(
      harness.client,
      new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo one.jpg' }),
      {
        expiresIn: 60,
      },
    );

    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('photo bytes');
  });

  it('applies response header overrides signed into a presigned GET URL', async () => {
    const command = new GetObjectCommand({
      Bucket: BUCKET,
      Key: 'shared/photo one.jpg',
      ResponseContentDisposition: 'attachment; filename="photo.jpg"',
    });
    const url = await getSignedUrl(harness.client, command, { expiresIn: 60 });

    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="photo.jpg"');
  });

  it('refuses a presigned GET URL whose path was changed', async () => {
    const url = await getSignedUrl(
      harness.client,
      new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo one.jpg' }),
      {
        expiresIn: 60,
      },
    );

    const response = await fetch(url.replace('photo%20one', 'photo%20two'));

    expect(response.status).toBe(403);
    expect(parseErrorXml(await response.text()).code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a presigned GET URL whose expiry was extended', async () => {
    const url = await getSignedUrl(
      harness.client,
      new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo one.jpg' }),
      {
        expiresIn: 60,
      },
    );

    const response = await fetch(url.replace('X-Amz-Expires=60', 'X-Amz-Expires=600'));

    expect(response.status).toBe(403);
    expect(parseErrorXml(await response.text()).code).toBe('SignatureDoesNotMatch');
  });

  it('refuses an expired presigned GET URL with AccessDenied "Request has expired"', async () => {
    const command = new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo one.jpg' });
    const url = await getSignedUrl(harness.client, command, {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 10 * 60 * 1000),
    });

    const response = await fetch(url);

    expect(response.status).toBe(403);
    expect(parseErrorXml(await response.text())).toEqual({
      code: 'AccessDenied',
      message: 'Request has expired',
    });
  });

  it('accepts an upload through a presigned PUT URL and notifies ObjectCreated:Put', async () => {
    const command = new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'presigned/put.jpg',
      ContentType: 'image/jpeg',
    });
    const url = await getSignedUrl(harness.client, command, { expiresIn: 60 });

    const response = await fetch(url, {
      method: 'PUT',
      body: 'put bytes',
      headers: { 'Content-Type': 'image/jpeg' },
    });

    expect(response.status).toBe(200);
    const record = await waitFor(() => harness.records.find((r) => r.s3.object.key === 'presigned/put.jpg'));
    expect(record.eventName).toBe('ObjectCreated:Put');
    expect(record.s3.object.size).toBe('put bytes'.length);
  });

  it('stores the metadata signed into a presigned PUT URL', async () => {
    const command = new PutObjectCommand({
      Bucket: BUCKET,
      Key: 'presigned/meta.jpg',
      Metadata: { owner: 'user-5' },
    });
    const url = await getSignedUrl(harness.client, command, { expiresIn: 60 });

    const response = await fetch(url, { method: 'PUT', body: 'meta bytes' });

    expect(response.status).toBe(200);
    const head = await harness.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'presigned/meta.jpg' }),
    );
    expect(head.Metadata).toEqual({ owner: 'user-5' });
  });

  it('refuses a request without any authentication', async () => {
    const response = await fetch(`${harness.s3.endpoint}/${BUCKET}/shared/photo%20one.jpg`);

    expect(response.status).toBe(403);
    expect(parseErrorXml(await response.text()).code).toBe('AccessDenied');
  });

  it('refuses an SDK call signed with the wrong secret key', async () => {
    const wrongSecret = makeClient(harness.s3.endpoint, {
      credentials: { accessKeyId: 'LOCALACCESSKEY', secretAccessKey: 'wrong-secret' },
    });

    const call = wrongSecret.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo one.jpg' }));

    await expect(call).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    wrongSecret.destroy();
  });

  it('refuses an SDK call signed for another region', async () => {
    const otherRegion = makeClient(harness.s3.endpoint, { region: 'us-east-1' });

    const call = otherRegion.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo one.jpg' }));

    await expect(call).rejects.toMatchObject({ name: 'AuthorizationHeaderMalformed' });
    otherRegion.destroy();
  });
});
