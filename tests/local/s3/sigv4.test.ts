import { verifyAuthorizationHeader, verifyPresignedUrl } from '../../../local/s3/request-auth';
import { canonicalUri, parseQuery } from '../../../local/s3/sigv4';

// The worked examples of the Amazon S3 SigV4 documentation (examplebucket, 2013-05-24).
const DOCUMENTED_KEY = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const settings = {
  lookup: (accessKeyId: string) => (accessKeyId === DOCUMENTED_KEY.accessKeyId ? DOCUMENTED_KEY : undefined),
  region: 'us-east-1',
  now: () => new Date('2013-05-24T00:05:00Z'),
};
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DOCUMENTED_AUTHORIZATION =
  'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41';
const PRESIGNED_QUERY =
  'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';

describe('SigV4 verification', () => {
  it('accepts the documented GET Object request signed in the Authorization header', async () => {
    const request = {
      method: 'GET',
      rawPath: '/test.txt',
      query: [],
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': EMPTY_SHA256,
        'x-amz-date': '20130524T000000Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      },
    };

    await expect(verifyAuthorizationHeader(request, settings)).resolves.toBe('AKIAIOSFODNN7EXAMPLE');
  });

  it('refuses the documented request once a signed header changes', async () => {
    const request = {
      method: 'GET',
      rawPath: '/test.txt',
      query: [],
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-99',
        'x-amz-content-sha256': EMPTY_SHA256,
        'x-amz-date': '20130524T000000Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      },
    };

    await expect(verifyAuthorizationHeader(request, settings)).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
  });

  it('accepts the documented presigned URL', async () => {
    const rawQuery =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const request = {
      method: 'GET',
      rawPath: '/test.txt',
      query: parseQuery(rawQuery),
      headers: { host: 'examplebucket.s3.amazonaws.com' },
    };

    await expect(verifyPresignedUrl(request, settings)).resolves.toBe('AKIAIOSFODNN7EXAMPLE');
  });

  it('refuses the documented presigned URL after its 24 hours with "Request has expired"', async () => {
    const rawQuery =
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
    const request = {
      method: 'GET',
      rawPath: '/test.txt',
      query: parseQuery(rawQuery),
      headers: { host: 'examplebucket.s3.amazonaws.com' },
    };
    const nextDay = { ...settings, now: () => new Date('2013-05-25T00:00:01Z') };

    await expect(verifyPresignedUrl(request, nextDay)).rejects.toMatchObject({
      code: 'AccessDenied',
      message: 'Request has expired',
    });
  });

  it('refuses the documented presigned URL once one digit of its signature changes', async () => {
    const request = {
      method: 'GET',
      rawPath: '/test.txt',
      query: parseQuery(PRESIGNED_QUERY.replace('Signature=aeeed9', 'Signature=aeeed8')),
      headers: { host: 'examplebucket.s3.amazonaws.com' },
    };

    await expect(verifyPresignedUrl(request, settings)).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
  });

  it('refuses the documented presigned URL when the server holds another secret for the same key', async () => {
    const request = {
      method: 'GET',
      rawPath: '/test.txt',
      query: parseQuery(PRESIGNED_QUERY),
      headers: { host: 'examplebucket.s3.amazonaws.com' },
    };
    const otherSecret = {
      ...settings,
      lookup: () => ({ ...DOCUMENTED_KEY, secretAccessKey: 'another-secret' }),
    };

    await expect(verifyPresignedUrl(request, otherSecret)).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
  });

  it('refuses a header-signed request for another secret and reports the canonical request it computed', async () => {
    const request = {
      method: 'GET',
      rawPath: '/test.txt',
      query: [],
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        range: 'bytes=0-9',
        'x-amz-content-sha256': EMPTY_SHA256,
        'x-amz-date': '20130524T000000Z',
        authorization: DOCUMENTED_AUTHORIZATION,
      },
    };
    const otherSecret = {
      ...settings,
      lookup: () => ({ ...DOCUMENTED_KEY, secretAccessKey: 'another-secret' }),
    };

    await expect(verifyAuthorizationHeader(request, otherSecret)).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      details: {
        CanonicalRequest: [
          'GET',
          '/test.txt',
          '',
          'host:examplebucket.s3.amazonaws.com',
          'range:bytes=0-9',
          `x-amz-content-sha256:${EMPTY_SHA256}`,
          'x-amz-date:20130524T000000Z',
          '',
          'host;range;x-amz-content-sha256;x-amz-date',
          EMPTY_SHA256,
        ].join('\n'),
        StringToSign: [
          'AWS4-HMAC-SHA256',
          '20130524T000000Z',
          '20130524/us-east-1/s3/aws4_request',
          '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
        ].join('\n'),
      },
    });
  });

  it('builds the canonical URI by encoding each decoded path segment per RFC 3986', () => {
    expect(canonicalUri('/bucket/a%20b+c/%C3%A9(1).jpg')).toBe('/bucket/a%20b%2Bc/%C3%A9%281%29.jpg');
  });
});
