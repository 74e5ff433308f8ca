import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEnvJson } from '../../local/env-json';

const root = join(__dirname, '..', '..');

describe('events/env.json', () => {
  it('matches what the templates declare (run `npm run env-json` after changing a template)', () => {
    const committed = JSON.parse(readFileSync(join(root, 'events/env.json'), 'utf8'));

    expect(committed).toEqual(buildEnvJson(root));
  });

  it('gives every function its resolved environment and every local endpoint', () => {
    const envJson = buildEnvJson(root);

    expect(envJson.CreateUploadTicketFunction).toMatchObject({
      TABLE_NAME: expect.stringMatching(/^happy-path-backend-AppTable-/),
      UPLOAD_BUCKET: expect.stringMatching(/^happy-path-backend-uploadbucket-/),
      MAX_UPLOAD_BYTES: '10485760',
    });
    expect(Object.keys(envJson.Parameters ?? {})).toEqual(
      expect.arrayContaining([
        'AWS_ENDPOINT_URL_S3',
        'AWS_ENDPOINT_URL_DYNAMODB',
        'AWS_ENDPOINT_URL_EVENTBRIDGE',
      ]),
    );
  });
});
