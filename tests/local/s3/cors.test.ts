import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { wildcardMatch } from '../../../local/s3/cors';
import { BUCKET, CORS_BUCKET, type Harness, parseErrorXml, startHarness } from './local-s3-harness';

function preflight(harness: Harness, bucket: string, headers: Record<string, string>) {
  return fetch(`${harness.s3.endpoint}/${bucket}/photos/a.jpg`, { method: 'OPTIONS', headers });
}

describe('CORS', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });

  afterAll(async () => {
    await harness.close();
  });

  it('allows a preflight that matches a rule and answers with the rule', async () => {
    const response = await preflight(harness, CORS_BUCKET, {
      Origin: 'http://localhost:5173',
      'Access-Control-Request-Method': 'PUT',
      'Access-Control-Request-Headers': 'Content-Type, X-Amz-Meta-User',
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT');
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type, x-amz-meta-user');
    expect(response.headers.get('access-control-expose-headers')).toBe('ETag');
    expect(response.headers.get('access-control-max-age')).toBe('3000');
  });

  it('refuses a preflight from an origin no rule allows with CORSResponse', async () => {
    const response = await preflight(harness, CORS_BUCKET, {
      Origin: 'https://evil.example',
      'Access-Control-Request-Method': 'PUT',
    });

    expect(response.status).toBe(403);
    expect(parseErrorXml(await response.text()).code).toBe('CORSResponse');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a preflight for a method no rule allows', async () => {
    const response = await preflight(harness, CORS_BUCKET, {
      Origin: 'http://localhost:5173',
      'Access-Control-Request-Method': 'DELETE',
    });

    expect(response.status).toBe(403);
    expect(parseErrorXml(await response.text()).code).toBe('CORSResponse');
  });

  it('refuses a preflight asking for a header no rule allows', async () => {
    const response = await preflight(harness, CORS_BUCKET, {
      Origin: 'http://localhost:5173',
      'Access-Control-Request-Method': 'PUT',
      'Access-Control-Request-Headers': 'x-custom-header',
    });

    expect(response.status).toBe(403);
  });

  it('refuses a preflight to a bucket without CORS rules', async () => {
    const response = await preflight(harness, BUCKET, {
      Origin: 'http://localhost:5173',
      'Access-Control-Request-Method': 'GET',
    });

    expect(response.status).toBe(403);
    expect(parseErrorXml(await response.text()).message).toBe('CORS is not enabled for this bucket.');
  });

  it('adds CORS headers to a browser POST upload from an allowed origin', async () => {
    const { url, fields } = await createPresignedPost(harness.client, {
      Bucket: CORS_BUCKET,
      Key: 'photos/cors.jpg',
    });
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob(['bytes']), 'cors.jpg');

    const response = await fetch(url, {
      method: 'POST',
      body: form,
      headers: { Origin: 'http://localhost:3000' },
    });

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(response.headers.get('access-control-expose-headers')).toBe('ETag');
  });

  it('adds no CORS headers for an origin that no rule allows', async () => {
    await harness.client.send(
      new PutObjectCommand({ Bucket: CORS_BUCKET, Key: 'photos/plain.jpg', Body: 'x' }),
    );

    const response = await fetch(`${harness.s3.endpoint}/${CORS_BUCKET}/photos/plain.jpg`, {
      headers: { Origin: 'https://evil.example' },
    });

    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('matches origins with a single * wildcard', () => {
    expect(wildcardMatch('https://*.example.com', 'https://app.example.com', false)).toBe(true);
    expect(wildcardMatch('https://*.example.com', 'https://example.org', false)).toBe(false);
    expect(wildcardMatch('*', 'null', false)).toBe(true);
  });
});
