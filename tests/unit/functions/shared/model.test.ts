import { parseUploadObjectKey, uploadObjectKey } from '#shared/model';
import { uploadIdSchema } from '#shared/validation';
import { newUploadId } from '../../../../functions/backend/ids';
import { decodeS3EventKey } from '../../../../functions/backend/upload-notifications';

describe('upload ids', () => {
  it('are valid UUIDv7 strings', () => {
    expect(uploadIdSchema.safeParse(newUploadId()).success).toBe(true);
  });

  it('sort in the order they were made', () => {
    const earlier = newUploadId(Date.UTC(2026, 0, 1));
    const later = newUploadId(Date.UTC(2026, 0, 1, 0, 0, 0, 1));

    expect([later, earlier].sort()).toEqual([earlier, later]);
  });
});

describe('upload object keys', () => {
  it('round-trip through parseUploadObjectKey', () => {
    const uploadId = newUploadId();

    expect(parseUploadObjectKey(uploadObjectKey('ChIJ_x-1', uploadId))).toEqual({
      placeId: 'ChIJ_x-1',
      uploadId,
    });
  });

  it.each([
    'ChIJ/not-a-uuid.jpg',
    'a/b/0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90.jpg',
    'ChIJ/0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90.png',
    'ChIJ/0192f3a0-7b1c-4d2e-8f3a-4b5c6d7e8f90.jpg',
    '../0192f3a0-7b1c-7d2e-8f3a-4b5c6d7e8f90.jpg',
  ])('refuses %s', (key) => {
    expect(parseUploadObjectKey(key)).toBeUndefined();
  });
});

describe('S3 event keys', () => {
  it('decode spaces, plus signs and unicode as S3 encodes them', () => {
    expect(decodeS3EventKey('my+holiday/caf%C3%A9+%2B+friends.jpg')).toBe('my holiday/café + friends.jpg');
  });
});
