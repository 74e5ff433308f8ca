import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { signWithScope } from '../../../local/s3/request-auth';
import {
  BUCKET,
  CREDENTIALS,
  defined,
  type Harness,
  makeClient,
  parseErrorXml,
  REGION,
  startHarness,
  waitFor,
} from './local-s3-harness';

const JPEG_BYTES = Buffer.from('fake jpeg payload for the upload tests');

async function presign(
  harness: Harness,
  key: string,
  options: { maxBytes?: number; minBytes?: number } = {},
) {
  return createPresignedPost(harness.client, {
    Bucket: BUCKET,
    Key: key,
    Conditions: [
      ['content-length-range', options.minBytes ?? 1, options.maxBytes ?? 1024],
      ['eq', '$Content-Type', 'image/jpeg'],
      ['starts-with', '$x-amz-meta-user', ''],
    ],
    Fields: { 'Content-Type': 'image/jpeg', 'x-amz-meta-user': 'user-42' },
    Expires: 300,
  });
}

async function postForm(
  url: string,
  fields: Record<string, string>,
  file: Buffer = JPEG_BYTES,
  filename = 'photo.jpg',
) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([file], { type: 'image/jpeg' }), filename);
  const response = await fetch(url, { method: 'POST', body: form });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe('presigned POST uploads', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('accepts a valid upload and stores it with its content type and metadata', async () => {
    const key = 'photos/accepted.jpg';
    const { url, fields } = await presign(harness, key);

    const result = await postForm(url, fields);

    expect(result.status).toBe(204);
    const head = await harness.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentType).toBe('image/jpeg');
    expect(head.Metadata).toEqual({ user: 'user-42' });
    expect(head.ContentLength).toBe(JPEG_BYTES.length);
    const object = await harness.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await defined(object.Body).transformToByteArray())).toEqual(JPEG_BYTES);
  });

  it('sends an ObjectCreated:Post notification with the key encoded as S3 does', async () => {
    const key = 'photos/my photo+1 été.jpg';
    const { url, fields } = await presign(harness, key);

    const result = await postForm(url, fields);

    expect(result.status).toBe(204);
    const record = await waitFor(() =>
      harness.records.find(
        (r) => r.eventName === 'ObjectCreated:Post' && r.s3.object.key.includes('my+photo'),
      ),
    );
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: REGION,
      eventName: 'ObjectCreated:Post',
      userIdentity: { principalId: `AWS:${CREDENTIALS.accessKeyId}` },
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
        object: { key: 'photos/my+photo%2B1+%C3%A9t%C3%A9.jpg', size: JPEG_BYTES.length },
      },
    });
    expect(record.s3.object.eTag).toMatch(/^[0-9a-f]{32}$/);
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]+$/);
    expect(new Date(record.eventTime).toISOString()).toBe(record.eventTime);
    expect(record.responseElements['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
  });

  it('substitutes the filename variable in the key with the uploaded file name', async () => {
    const { url, fields } = await presign(harness, `by-name/${'$'}{filename}`);

    const result = await postForm(url, fields, JPEG_BYTES, 'holiday.jpg');

    expect(result.status).toBe(204);
    const head = await harness.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'by-name/holiday.jpg' }),
    );
    expect(head.ContentLength).toBe(JPEG_BYTES.length);
  });

  it('answers 201 with a PostResponse document when success_action_status is 201', async () => {
    const { url, fields } = await createPresignedPost(harness.client, {
      Bucket: BUCKET,
      Key: 'photos/created.jpg',
      Fields: { success_action_status: '201' },
    });

    const result = await postForm(url, fields);

    expect(result.status).toBe(201);
    expect(result.body).toContain('<Key>photos/created.jpg</Key>');
    expect(result.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('refuses a file larger than the content-length-range with EntityTooLarge and the sizes', async () => {
    const { url, fields } = await presign(harness, 'photos/too-large.jpg', { maxBytes: 10 });

    const result = await postForm(url, fields);

    expect(result.status).toBe(400);
    expect(parseErrorXml(result.body).code).toBe('EntityTooLarge');
    expect(result.body).toContain(`<ProposedSize>${JPEG_BYTES.length}</ProposedSize>`);
    expect(result.body).toContain('<MaxSizeAllowed>10</MaxSizeAllowed>');
  });

  it('answers EntityTooLarge with the real size of a file far beyond the allowed size', async () => {
    const { url, fields } = await presign(harness, 'photos/huge.jpg', { maxBytes: 10 });

    const result = await postForm(url, fields, Buffer.alloc(8 * 1024 * 1024, 1));

    expect(result.status).toBe(400);
    expect(parseErrorXml(result.body).code).toBe('EntityTooLarge');
    expect(result.body).toContain(`<ProposedSize>${8 * 1024 * 1024}</ProposedSize>`);
  });

  it('refuses a file smaller than the content-length-range with EntityTooSmall', async () => {
    const { url, fields } = await presign(harness, 'photos/too-small.jpg', {
      minBytes: 1000,
      maxBytes: 2000,
    });

    const result = await postForm(url, fields);

    expect(result.status).toBe(400);
    expect(parseErrorXml(result.body).code).toBe('EntityTooSmall');
    expect(result.body).toContain('<MinSizeAllowed>1000</MinSizeAllowed>');
  });

  it('refuses a Content-Type the policy does not allow', async () => {
    const { url, fields } = await presign(harness, 'photos/wrong-type.jpg');

    const result = await postForm(url, { ...fields, 'Content-Type': 'image/png' });

    expect(result.status).toBe(403);
    expect(parseErrorXml(result.body)).toEqual({
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/jpeg"]',
    });
  });

  it('refuses a key other than the one in the policy', async () => {
    const { url, fields } = await presign(harness, 'photos/signed-key.jpg');

    const result = await postForm(url, { ...fields, key: 'photos/other-key.jpg' });

    expect(result.status).toBe(403);
    expect(parseErrorXml(result.body)).toEqual({
      code: 'AccessDenied',
      message:
        'Invalid according to Policy: Policy Condition failed: ["eq", "$key", "photos/signed-key.jpg"]',
    });
  });

  it('refuses a policy re-encoded with a bigger limit because the signature no longer matches', async () => {
    const { url, fields } = await presign(harness, 'photos/tampered.jpg', { maxBytes: 10 });
    const policy = JSON.parse(Buffer.from(defined(fields.Policy), 'base64').toString('utf8'));
    policy.conditions[0] = ['content-length-range', 1, 10_000_000];
    const tampered = Buffer.from(JSON.stringify(policy)).toString('base64');

    const result = await postForm(url, { ...fields, Policy: tampered });

    expect(result.status).toBe(403);
    expect(parseErrorXml(result.body).code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a wrong signature', async () => {
    const { url, fields } = await presign(harness, 'photos/bad-signature.jpg');

    const result = await postForm(url, { ...fields, 'X-Amz-Signature': '0'.repeat(64) });

    expect(result.status).toBe(403);
    expect(parseErrorXml(result.body).code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a policy signed by an unknown access key', async () => {
    const stranger = makeClient(harness.s3.endpoint, {
      credentials: { accessKeyId: 'STRANGER', secretAccessKey: 'x' },
    });
    const { url, fields } = await createPresignedPost(stranger, {
      Bucket: BUCKET,
      Key: 'photos/stranger.jpg',
    });

    const result = await postForm(url, fields);

    expect(result.status).toBe(403);
    expect(parseErrorXml(result.body).code).toBe('InvalidAccessKeyId');
  });

  it('refuses an expired policy', async () => {
    const lateClient = makeClient(harness.s3.endpoint, { systemClockOffset: -2 * 60 * 60 * 1000 });
    const { url, fields } = await createPresignedPost(lateClient, {
      Bucket: BUCKET,
      Key: 'photos/expired.jpg',
      Expires: 60,
    });

    const result = await postForm(url, fields);

    expect(result.status).toBe(403);
    expect(parseErrorXml(result.body)).toEqual({
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy expired.',
    });
  });

  it('refuses a form field that no policy condition covers', async () => {
    const { url, fields } = await presign(harness, 'photos/extra-field.jpg');

    const result = await postForm(url, { ...fields, 'x-amz-meta-unsigned': 'sneaky' });

    expect(result.status).toBe(403);
    expect(parseErrorXml(result.body)).toEqual({
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Extra input fields: x-amz-meta-unsigned',
    });
  });

  it('ignores x-ignore- fields', async () => {
    const { url, fields } = await presign(harness, 'photos/ignored-field.jpg');

    const result = await postForm(url, { ...fields, 'x-ignore-submit': 'Upload' });

    expect(result.status).toBe(204);
  });

  it('refuses a garbled policy because its signature does not match', async () => {
    const { url, fields } = await presign(harness, 'photos/garbled.jpg');

    const result = await postForm(url, { ...fields, Policy: 'not-a-policy' });

    expect(result.status).toBe(403);
    expect(parseErrorXml(result.body).code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a correctly signed policy without an expiration with InvalidPolicyDocument', async () => {
    const { url, fields } = await presign(harness, 'photos/no-expiration.jpg');
    const policy = Buffer.from(JSON.stringify({ conditions: [{ bucket: BUCKET }] })).toString('base64');
    const date = defined(fields['X-Amz-Date']).slice(0, 8);
    const scope = {
      accessKeyId: CREDENTIALS.accessKeyId,
      date,
      region: REGION,
      service: 's3',
      terminator: 'aws4_request',
    };
    const signature = await signWithScope({ scope, credentials: CREDENTIALS }, policy);

    const result = await postForm(url, {
      ...fields,
      Policy: policy,
      'X-Amz-Signature': signature,
    });

    expect(result.status).toBe(400);
    expect(parseErrorXml(result.body)).toEqual({
      code: 'InvalidPolicyDocument',
      message: 'Invalid Policy: Policy missing expiration.',
    });
  });

  it('refuses a body that is not multipart form data with MalformedPOSTRequest', async () => {
    const response = await fetch(`${harness.s3.endpoint}/${BUCKET}`, {
      method: 'POST',
      headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' },
      body: 'this is not multipart',
    });

    expect(response.status).toBe(400);
    expect(parseErrorXml(await response.text()).code).toBe('MalformedPOSTRequest');
  });

  it('refuses an unsigned upload to the private bucket', async () => {
    const result = await postForm(`${harness.s3.endpoint}/${BUCKET}`, { key: 'photos/anonymous.jpg' });

    expect(result.status).toBe(403);
    expect(parseErrorXml(result.body).code).toBe('AccessDenied');
  });
});
