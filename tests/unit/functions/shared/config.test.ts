import * as z from 'zod/mini';
import { baseUrl, nonEmpty, positiveInt, readConfig } from '#shared/config';

describe('readConfig', () => {
  const schema = z.object({
    TABLE_NAME: nonEmpty,
    MAX_UPLOAD_BYTES: positiveInt(1000),
    PHOTO_BASE_URL: baseUrl,
  });

  it('returns typed values from valid variables', () => {
    const config = readConfig(schema, {
      TABLE_NAME: 'app-table',
      MAX_UPLOAD_BYTES: '500',
      PHOTO_BASE_URL: 'https://photos.example.com/',
    });

    expect(config).toEqual({
      TABLE_NAME: 'app-table',
      MAX_UPLOAD_BYTES: 500,
      PHOTO_BASE_URL: 'https://photos.example.com',
    });
  });

  it('fails with a ConfigError naming every missing or malformed variable', () => {
    const read = () => readConfig(schema, { MAX_UPLOAD_BYTES: '5000', PHOTO_BASE_URL: 'photos.example.com' });

    expect(read).toThrow(expect.objectContaining({ name: 'ConfigError' }));
    expect(read).toThrow(/TABLE_NAME/);
    expect(read).toThrow(/MAX_UPLOAD_BYTES/);
    expect(read).toThrow(/PHOTO_BASE_URL/);
  });

  it('refuses a number that is not a whole positive number', () => {
    expect(() =>
      readConfig(schema, { TABLE_NAME: 't', MAX_UPLOAD_BYTES: '1e3', PHOTO_BASE_URL: 'https://x' }),
    ).toThrow(/MAX_UPLOAD_BYTES/);
  });
});
