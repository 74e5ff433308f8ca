import {
  checkContentLength,
  checkFieldConditions,
  checkNotExpired,
  decodePostPolicy,
  maxAllowedSize,
} from '../../../local/s3/post-policy';

const encode = (policy: unknown) => Buffer.from(JSON.stringify(policy)).toString('base64');

describe('POST policy documents', () => {
  const policy = decodePostPolicy(
    encode({
      expiration: '2030-01-01T00:00:00Z',
      conditions: [
        { bucket: 'uploads' },
        ['starts-with', '$key', 'user/42/'],
        ['starts-with', '$Content-Type', 'image/'],
        ['content-length-range', 10, 100],
        ['content-length-range', 0, 50],
      ],
    }),
  );

  it('accepts a form that satisfies every condition', () => {
    const fields = new Map([
      ['key', 'user/42/photo.jpg'],
      ['content-type', 'image/jpeg'],
    ]);

    expect(() => checkFieldConditions(policy, { fields, bucket: 'uploads' })).not.toThrow();
  });

  it('compares the bucket condition with the bucket of the URL', () => {
    const fields = new Map([
      ['key', 'user/42/photo.jpg'],
      ['content-type', 'image/jpeg'],
    ]);

    expect(() => checkFieldConditions(policy, { fields, bucket: 'other' })).toThrow(
      'Invalid according to Policy: Policy Condition failed: ["eq", "$bucket", "uploads"]',
    );
  });

  it('reports a failed starts-with condition as S3 writes it', () => {
    const fields = new Map([
      ['key', 'user/43/photo.jpg'],
      ['content-type', 'image/jpeg'],
    ]);

    expect(() => checkFieldConditions(policy, { fields, bucket: 'uploads' })).toThrow(
      'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/42/"]',
    );
  });

  it('requires every member of a comma-separated Content-Type to match a starts-with condition', () => {
    const fields = new Map([
      ['key', 'user/42/photo.jpg'],
      ['content-type', 'image/jpeg, text/html'],
    ]);

    expect(() => checkFieldConditions(policy, { fields, bucket: 'uploads' })).toThrow(/Content-Type/);
  });

  it('enforces every content-length-range and reports the largest maximum for streaming', () => {
    expect(maxAllowedSize(policy)).toBe(100);
    expect(() => checkContentLength(policy, 20)).not.toThrow();
    expect(() => checkContentLength(policy, 60)).toThrow(expect.objectContaining({ code: 'EntityTooLarge' }));
    expect(() => checkContentLength(policy, 5)).toThrow(expect.objectContaining({ code: 'EntityTooSmall' }));
  });

  it('treats a policy as expired only after its expiration instant', () => {
    expect(() => checkNotExpired(policy, new Date('2029-12-31T23:59:59Z'))).not.toThrow();
    expect(() => checkNotExpired(policy, new Date('2030-01-01T00:00:01Z'))).toThrow(
      'Invalid according to Policy: Policy expired.',
    );
  });

  it.each([
    [
      'missing conditions',
      { expiration: '2030-01-01T00:00:00Z' },
      'Invalid Policy: Policy missing conditions.',
    ],
    [
      'a bad expiration',
      { expiration: 'tomorrow', conditions: [] },
      "Invalid Policy: Invalid 'expiration' value: 'tomorrow'",
    ],
    [
      'an unknown operator',
      { expiration: '2030-01-01T00:00:00Z', conditions: [['ends-with', '$key', 'x']] },
      'Invalid Policy: Unknown condition: ends-with',
    ],
  ])('rejects a policy with %s as InvalidPolicyDocument', (_case, document, message) => {
    expect(() => decodePostPolicy(encode(document))).toThrow(
      expect.objectContaining({ code: 'InvalidPolicyDocument', status: 400, message }),
    );
  });
});
