import { ApiError, HappyPathClient, type UploadStatus } from './client';
import { type DemoPhoto, demoPhotos, type Outcome, type PlaceKind, type Version } from './photos';

export interface DemoRow {
  file: string;
  place: PlaceKind;
  what: string;
  expected: Outcome;
  actual: UploadStatus;
  ms: number;
  ok: boolean;
}

const PLACES: Record<PlaceKind, { id: string; name: string; type: string; lat: number; lng: number }> = {
  park: { id: 'demo-central-park', name: 'Central Park', type: 'park', lat: 40.7829, lng: -73.9654 },
  restaurant: {
    id: 'demo-corner-bistro',
    name: 'Corner Bistro',
    type: 'restaurant',
    lat: 40.7382,
    lng: -74.0033,
  },
  museum: { id: 'demo-city-museum', name: 'City Museum', type: 'museum', lat: 40.7794, lng: -73.9632 },
};

export function placeIdOf(kind: PlaceKind): string {
  return PLACES[kind].id;
}

function matches(expected: Outcome, actual: UploadStatus): boolean {
  return expected.status === actual.status && (expected.reason ?? undefined) === (actual.reason ?? undefined);
}

/**
 * Creates the demo places (again is fine), uploads every demo photo through a real upload ticket,
 * waits for each to end and compares its status and reason with what `version` must record.
 */
export async function runDemo(options: {
  apiUrl: string;
  token: string;
  version: Version;
  photos?: DemoPhoto[];
  timeoutMs?: number;
}): Promise<DemoRow[]> {
  const client = new HappyPathClient(options.apiUrl, options.token);
  for (const place of Object.values(PLACES)) {
    try {
      await client.createPlace(place);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
  }
  const photos = options.photos ?? (await demoPhotos());
  return Promise.all(
    photos.map(async (photo): Promise<DemoRow> => {
      const started = Date.now();
      const uploadId = await client.upload(placeIdOf(photo.place), photo.bytes, photo.file);
      const actual = await client.waitForUpload(uploadId, options.timeoutMs ?? 60_000);
      const expected = photo.expected[options.version];
      return {
        file: photo.file,
        place: photo.place,
        what: photo.what,
        expected,
        actual,
        ms: Date.now() - started,
        ok: matches(expected, actual),
      };
    }),
  );
}

const describeOutcome = (outcome: { status: string; reason?: string | undefined }) =>
  outcome.reason ? `${outcome.status} ${outcome.reason}` : outcome.status;

export function formatDemoTable(rows: readonly DemoRow[]): string {
  const header = ['', 'file', 'place', 'expected', 'actual', 'time', 'what / detail'];
  const body = rows.map((row) => [
    row.ok ? 'ok' : 'FAIL',
    row.file,
    row.place,
    describeOutcome(row.expected),
    describeOutcome(row.actual),
    `${row.ms} ms`,
    row.actual.detail ? `${row.what}: ${row.actual.detail}` : row.what,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ');
  return [line(header), ...body.map(line)].join('\n');
}
