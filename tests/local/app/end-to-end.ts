import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { HappyPathClient } from '../../../local/demo/client';
import { type DemoPhoto, demoPhotos } from '../../../local/demo/photos';
import { placeIdOf, runDemo } from '../../../local/demo/scenario';
import { type LocalApp, startLocalApp, type WorkflowVersion } from '../../../local/runtime/app';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';
import { recordAuthorizations, refusals, undeclaredActions } from '../iam/recorded-authorizations';

/**
 * End to end, offline, for one workflow version (one test file per version, since every version is
 * the same stack and one app runs one of them): the app from its templates, real upload tickets,
 * real presigned POSTs to the local S3, the notifier, the bus, the state machine from its ASL,
 * every task function, DynamoDB, the CloudFront stand-in.
 */
export function describeImageWorkflowEndToEnd(version: WorkflowVersion): void {
  jest.setTimeout(90_000);
  const root = join(__dirname, '..', '..', '..');
  let photos: DemoPhoto[];

  beforeAll(async () => {
    photos = await demoPhotos();
  });

  describe(`image workflow ${version}, offline end to end`, () => {
    const dataDir = mkdtempSync(join(tmpdir(), `e2e-${version}-`));
    let app: LocalApp;
    let client: HappyPathClient;
    const authorizations = recordAuthorizations();

    beforeAll(async () => {
      app = await startLocalApp({
        root,
        workflow: version,
        dataDir,
        functionEnvironment: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
        onAuthorization: authorizations.onAuthorization,
        concurrency: TEST_APP_CONCURRENCY,
      });
      client = new HappyPathClient(app.api.url, app.token('user-e2e'));
    });

    afterAll(async () => {
      await app?.close();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('ends every demo upload with the status and reason this version must record', async () => {
      const rows = await runDemo({ apiUrl: app.api.url, token: app.token('user-e2e'), version, photos });

      const outcomes = rows.map((row) => [row.file, row.actual.status, row.actual.reason]);
      const expected = rows.map((row) => [row.file, row.expected.status, row.expected.reason]);
      expect(outcomes).toEqual(expected);
    });

    it('serves the published copies through the CDN: a 400×400 tile and a 600 px copy, upright, without metadata', async () => {
      const rotated = photos.find((photo) => photo.file === 'rotated.jpg') as DemoPhoto;
      const uploadId = await client.upload(placeIdOf('park'), rotated.bytes, rotated.file);
      const upload = await client.waitForUpload(uploadId);
      expect(upload.status).toBe('PROCESSED');

      const tile = Buffer.from(await (await fetch(upload.tileUrl as string)).arrayBuffer());
      const scaled = Buffer.from(await (await fetch(upload.scaledUrl as string)).arrayBuffer());

      expect(upload.tileUrl).toMatch(new RegExp(`^${app.runtime.cdns[0]?.url}/tiles/`));
      expect(await sharp(tile).metadata()).toMatchObject({ format: 'jpeg', width: 400, height: 400 });
      const scaledFacts = await sharp(scaled).metadata();
      expect(scaledFacts).toMatchObject({ format: 'jpeg', width: 600, height: 800 });
      expect(scaledFacts.exif).toBeUndefined();
      expect(scaledFacts.orientation).toBeUndefined();
    });

    it('lists published photos on the place page without uploader ids, and refuses unknown keys at the CDN', async () => {
      const page = await client.getPlace(placeIdOf('park'));

      expect(page.photos.length).toBeGreaterThan(0);
      expect(JSON.stringify(page)).not.toContain('user-e2e');
      const missing = await fetch(`${app.runtime.cdns[0]?.url}/tiles/nothing-here.jpg`);
      expect(missing.status).toBe(403);
    });

    it('processes an upload once when its ticket is used for two POSTs (the claim pins the first object)', async () => {
      const token = app.token('user-e2e');
      const ticket = (await (
        await fetch(`${app.api.url}/uploads/url?placeId=${placeIdOf('park')}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { uploadId: string; url: string; fields: Record<string, string> };
      const post = async (file: string) => {
        const photo = photos.find((candidate) => candidate.file === file) as DemoPhoto;
        const form = new FormData();
        for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
        form.append('file', new Blob([photo.bytes], { type: 'image/jpeg' }), photo.file);
        return (await fetch(ticket.url, { method: 'POST', body: form })).status;
      };

      // Both POSTs land (S3 accepts a ticket until it expires) and both are notified.
      expect(await post('good-park.jpg')).toBeLessThan(300);
      expect(await post('rotated.jpg')).toBeLessThan(300);
      const upload = await client.waitForUpload(ticket.uploadId);
      await new Promise((resolve) => setTimeout(resolve, 500));

      expect(['PROCESSED', 'REJECTED']).toContain(upload.status);
      const bus = [...app.runtime.buses.values()].find((candidate) => candidate.name.endsWith('-events'));
      const announced = (bus?.listArchivedEvents() ?? []).filter(
        (record) =>
          record.event['detail-type'] === 'uploadComplete' &&
          (record.event.detail as { uploadId?: string }).uploadId === ticket.uploadId,
      );
      expect(announced).toHaveLength(1);
    });

    it('announces every outcome on the application bus, without user ids', async () => {
      const bus = [...app.runtime.buses.values()].find((candidate) => candidate.name.endsWith('-events'));
      const read = () => bus?.listArchivedEvents().map((record) => record.event) ?? [];
      const started = read().filter((event) => event['detail-type'] === 'uploadComplete').length;
      // An execution announces its outcome right after recording it: poll with a deadline.
      const deadline = Date.now() + 15_000;
      let announced = read().filter((event) => event.source === 'happy-path.workflow');
      while (announced.length < started && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        announced = read().filter((event) => event.source === 'happy-path.workflow');
      }

      expect(started).toBeGreaterThan(0);
      expect(announced.length).toBe(started);
      expect(new Set(announced.map((event) => event['detail-type']))).toEqual(
        new Set(['imageProcessed', 'imageRejected']),
      );
      for (const event of announced) expect(JSON.stringify(event.detail)).not.toContain('user-e2e');
    });

    it("makes only calls the templates' roles allow, each declared in the static call list of tests/local/iam", () => {
      // Functions and state machines acted as their roles throughout the tests above.
      expect(authorizations.records.length).toBeGreaterThan(0);
      expect(refusals(authorizations.records)).toEqual([]);
      expect(undeclaredActions(authorizations.records, app.runtime.stacks)).toEqual([]);
    });
  });
}
