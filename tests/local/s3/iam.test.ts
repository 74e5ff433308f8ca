import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Credentials } from '../../../local/iam';
import { type LocalS3, startLocalS3 } from '../../../local/s3';
import { type AccessFixture, ADMIN, accessFixture, BUCKET, REGION } from '../iam/access-fixture';
import { parseErrorXml } from './local-s3-harness';

interface Running {
  s3: LocalS3;
  fixture: AccessFixture;
  client(credentials: Credentials): S3Client;
  close(): Promise<void>;
}

async function start(options: { enforce?: boolean } = {}): Promise<Running> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-s3-iam-'));
  const fixture = accessFixture(dataDir, options);
  const s3 = await startLocalS3({
    dataDir,
    region: REGION,
    access: fixture.access,
    buckets: [{ name: BUCKET }],
  });
  const clients: S3Client[] = [];
  return {
    s3,
    fixture,
    client(credentials) {
      const client = new S3Client({
        region: REGION,
        endpoint: s3.endpoint,
        credentials,
        forcePathStyle: true,
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await s3.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function rejectionOf(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as S3ServiceException;
  }
  throw new Error('expected the call to be refused');
}

async function postForm(url: string, fields: Record<string, string>) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([Buffer.from('photo')], { type: 'image/jpeg' }), 'photo.jpg');
  const response = await fetch(url, { method: 'POST', body: form });
  return { status: response.status, ...parseErrorXml(await response.text()) };
}

describe('local S3 with IAM enforced', () => {
  let running: Running;

  beforeAll(async () => {
    running = await start();
    await running
      .client(ADMIN)
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'shared/photo.jpg', Body: 'photo bytes' }));
  });
  afterAll(() => running.close());

  it('lets a role read an object its S3ReadPolicy covers, signed with its session credentials', async () => {
    const object = await running
      .client(running.fixture.readerCredentials)
      .send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo.jpg' }));

    expect(await object.Body?.transformToString()).toBe('photo bytes');
  });

  it('refuses a PutObject the role has no statement for with AccessDenied 403 naming principal, action and resource', async () => {
    const error = await rejectionOf(
      running
        .client(running.fixture.readerCredentials)
        .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'shared/new.jpg', Body: 'x' })),
    );

    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: ${running.fixture.reader.sessionArn} is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${BUCKET}/shared/new.jpg" because no identity-based policy allows the s3:PutObject action`,
    );
    expect(running.fixture.logLines.at(-1)).toContain(
      `missing statement {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::${BUCKET}/shared/new.jpg"}`,
    );
  });

  it('refuses a ListObjectsV2 to a role without s3:ListBucket on the bucket', async () => {
    const error = await rejectionOf(
      running.client(running.fixture.nobodyCredentials).send(new ListObjectsV2Command({ Bucket: BUCKET })),
    );

    expect(error.name).toBe('AccessDenied');
    expect(error.message).toContain(`s3:ListBucket on resource: "arn:aws:s3:::${BUCKET}"`);
  });

  it('answers each refused key of a multi-object delete with an AccessDenied error entry', async () => {
    const result = await running
      .client(running.fixture.nobodyCredentials)
      .send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'shared/photo.jpg' }] } }));

    expect(result.Deleted ?? []).toEqual([]);
    expect(result.Errors?.map((entry) => [entry.Key, entry.Code])).toEqual([
      ['shared/photo.jpg', 'AccessDenied'],
    ]);
  });

  it('serves a presigned GET URL of a role allowed to read, and refuses one of a role that is not', async () => {
    const command = new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo.jpg' });
    const allowed = await getSignedUrl(running.client(running.fixture.readerCredentials), command, {
      expiresIn: 60,
    });
    const refused = await getSignedUrl(running.client(running.fixture.nobodyCredentials), command, {
      expiresIn: 60,
    });

    const [ok, denied] = await Promise.all([fetch(allowed), fetch(refused)]);

    expect(ok.status).toBe(200);
    expect(denied.status).toBe(403);
    expect(parseErrorXml(await denied.text()).code).toBe('AccessDenied');
  });

  it('refuses a POST upload whose policy a role without s3:PutObject signed', async () => {
    const { url, fields } = await createPresignedPost(running.client(running.fixture.readerCredentials), {
      Bucket: BUCKET,
      Key: 'uploads/photo.jpg',
    });

    const result = await postForm(url, fields);

    expect(result).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(result.message).toContain(`s3:PutObject on resource: "arn:aws:s3:::${BUCKET}/uploads/photo.jpg"`);
  });

  it('refuses a POST upload signed with a role key whose session token field is missing', async () => {
    const { url, fields } = await createPresignedPost(running.client(running.fixture.readerCredentials), {
      Bucket: BUCKET,
      Key: 'uploads/photo.jpg',
    });
    const { 'X-Amz-Security-Token': _token, ...withoutToken } = fields;

    const result = await postForm(url, withoutToken);

    expect(result).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
  });

  it('refuses an access key nobody was given with InvalidAccessKeyId', async () => {
    const error = await rejectionOf(
      running
        .client({ accessKeyId: 'AKIDNOBODYGAVE', secretAccessKey: 'x' })
        .send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo.jpg' })),
    );

    expect(error.name).toBe('InvalidAccessKeyId');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });

  it('refuses a role key signed with the wrong secret with SignatureDoesNotMatch', async () => {
    const error = await rejectionOf(
      running
        .client({ ...running.fixture.readerCredentials, secretAccessKey: 'not-the-secret' })
        .send(new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo.jpg' })),
    );

    expect(error.name).toBe('SignatureDoesNotMatch');
  });

  it('refuses a role key without its session token as an unknown key, and with another token as InvalidToken', async () => {
    const { sessionToken: _token, ...withoutToken } = running.fixture.readerCredentials;
    const get = new GetObjectCommand({ Bucket: BUCKET, Key: 'shared/photo.jpg' });

    const missing = await rejectionOf(running.client(withoutToken).send(get));
    const wrong = await rejectionOf(
      running.client({ ...running.fixture.readerCredentials, sessionToken: 'another-token' }).send(get),
    );

    expect([missing.name, missing.$metadata.httpStatusCode]).toEqual(['InvalidAccessKeyId', 403]);
    expect([wrong.name, wrong.$metadata.httpStatusCode]).toEqual(['InvalidToken', 400]);
  });
});

describe('local S3 with IAM enforcement off', () => {
  let running: Running;

  beforeAll(async () => {
    running = await start({ enforce: false });
  });
  afterAll(() => running.close());

  it('lets a role write what its policy does not allow', async () => {
    const put = await running
      .client(running.fixture.nobodyCredentials)
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'anything.txt', Body: 'x' }));

    expect(put.$metadata.httpStatusCode).toBe(200);
  });

  it('still refuses a signature made with the wrong secret', async () => {
    const error = await rejectionOf(
      running
        .client({ ...running.fixture.nobodyCredentials, secretAccessKey: 'not-the-secret' })
        .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'anything.txt', Body: 'x' })),
    );

    expect(error.name).toBe('SignatureDoesNotMatch');
  });
});
