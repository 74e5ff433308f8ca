import * as z from 'zod/mini';
import {
  baseUrl,
  commaList,
  nonEmpty,
  percentage,
  positiveInt,
  readConfig,
  withDefaults,
} from '#shared/config';

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

describe('optional settings with defaults', () => {
  const schema = z.object({ MIN_CONFIDENCE: percentage, IGNORED: commaList });
  const defaults = { MIN_CONFIDENCE: '60', IGNORED: '' };

  it('uses the defaults for unset or empty variables', () => {
    expect(readConfig(schema, withDefaults(defaults, { IGNORED: '' }))).toEqual({
      MIN_CONFIDENCE: 60,
      IGNORED: [],
    });
  });

  it('reads set values: decimal percentages and trimmed comma-separated lists', () => {
    const env = withDefaults(defaults, {
      MIN_CONFIDENCE: '75.5',
      IGNORED: 'Swimwear or Underwear, Alcohol,',
    });

    expect(readConfig(schema, env)).toEqual({
      MIN_CONFIDENCE: 75.5,
      IGNORED: ['Swimwear or Underwear', 'Alcohol'],
    });
  });

  it('refuses a percentage above 100 or not a number', () => {
    expect(() => readConfig(schema, { MIN_CONFIDENCE: '101', IGNORED: '' })).toThrow(/MIN_CONFIDENCE/);
    expect(() => readConfig(schema, { MIN_CONFIDENCE: 'high', IGNORED: '' })).toThrow(/MIN_CONFIDENCE/);
  });
});
