/**
 * The offline app under load, as `npm run load` drives it but small: one runtime process (workflow
 * v4, started the way `npm start` starts, so its memory is the runtime's alone), clients in this
 * process. First a saturated machine (one CPU hog process spinning per core while 4 photos of
 * 1600×1200 and 150 API requests run): event-loop stalls must not turn into 5xx or lost uploads. Then
 * a short soak: the heap after a full GC grows less than 4 MB and RSS as the OS counts it (at rest,
 * once the runtime has given glibc's free memory back) less than 12 MB. Measured: heap +0.0 to
 * +0.1 MB, RSS +1.2 to +4.2 MB (+8.4 and +10.9 MB when glibc kept its free memory); with dynalite's
 * iterator fix turned off, heap +4.7 MB; before the execution records went to disk the heap grew
 * about 15 MB. The RSS bound fails on a leak of 6 KB or more per request. `npm run load` runs the
 * full-size soak and bounds native memory in use. The app runs TEST_APP_CONCURRENCY invocations at
 * once, as the other suites' apps do.
 */
import {
  Answers,
  createLoadPlace,
  loadPhoto,
  photoOutcome,
  type RuntimeProcess,
  sendRequests,
  startCpuHogs,
  startRuntimeProcess,
  uploadPhotos,
} from '../../../local/load/harness';
import { TEST_APP_CONCURRENCY } from '../../helpers/local-app';

jest.setTimeout(300_000);

describe('offline runtime under load', () => {
  let runtime: RuntimeProcess | undefined;
  let photo: Buffer;
  const uploadIds: string[] = [];

  beforeAll(async () => {
    [runtime, photo] = await Promise.all([
      startRuntimeProcess({ concurrency: TEST_APP_CONCURRENCY }),
      loadPhoto('small'),
    ]);
    await createLoadPlace(runtime);
    // Warm-up, before any CPU hog: every function loaded once (a cold start under the hogs costs
    // seconds each) and the caches filled, so that the soak's first memory sample is taken warm. The
    // saturated batch's 4 photos at once still start environments beside these under the hogs.
    const app = runtime;
    const deadline = Date.now() + 240_000;
    const warmUp = new Answers();
    await uploadPhotos(app, photo, {
      count: 2,
      clients: 2,
      deadline,
      answers: warmUp,
      name: 'warm-up',
      accepted: uploadIds,
    });
    await sendRequests(app, {
      count: 100,
      concurrency: 16,
      deadline,
      answers: warmUp,
      uploadIds: () => uploadIds,
    });
  });

  afterAll(async () => {
    await runtime?.close();
  });

  it('answers no 5xx and ends all 4 uploads PROCESSED while a CPU hog spins on every core', async () => {
    const app = runtime as RuntimeProcess;
    const answers = new Answers();
    const deadline = Date.now() + 240_000;
    const hogs = startCpuHogs();
    let run: Awaited<ReturnType<typeof uploadPhotos>>;
    try {
      [run] = await Promise.all([
        uploadPhotos(app, photo, {
          count: 4,
          clients: 4,
          deadline,
          answers,
          name: 'saturated',
          accepted: uploadIds,
        }),
        sendRequests(app, { count: 150, concurrency: 8, deadline, answers, uploadIds: () => uploadIds }),
      ]);
    } finally {
      await hogs.stop();
    }

    // On a 5xx, the runtime's log of what failed shows in the difference.
    const runtimeLog = answers.serverErrors.length > 0 ? (await app.report()).problems : [];
    expect({ serverErrors: answers.serverErrors, runtimeLog }).toEqual({ serverErrors: [], runtimeLog: [] });
    expect(photoOutcome(run)).toEqual({ processed: 4, final: 4, notFinal: 0 });
    expect(answers.count(() => true)).toBeGreaterThanOrEqual(150 + 4 * 3);
  });

  it('keeps heap-after-GC growth under 4 MB and RSS growth under 12 MB over 2,000 API requests (half of them DynamoDB Queries) and 20 photos, all answered 2xx and PROCESSED', async () => {
    const app = runtime as RuntimeProcess;
    const deadline = Date.now() + 240_000;
    // The warm-up (beforeAll) and the saturated batch have loaded every function and cache.
    const before = await app.memory();

    const answers = new Answers();
    const sent = await sendRequests(app, {
      count: 2000,
      concurrency: 16,
      deadline,
      answers,
      uploadIds: () => uploadIds,
    });
    const run = await uploadPhotos(app, photo, { count: 20, clients: 10, deadline, answers, name: 'soak' });
    const after = await app.memory();

    expect(sent).toBe(2000);
    expect(answers.count((status) => !/^2\d\d$/.test(status))).toBe(0);
    expect(photoOutcome(run)).toEqual({ processed: 20, final: 20, notFinal: 0 });
    expect(after.heapUsedMb - before.heapUsedMb).toBeLessThan(4);
    expect(after.rssMb - before.rssMb).toBeLessThan(12);
  });
});
