/**
 * Measures each console page in Chromium with 1,000 executions stored:
 *   npx tsx local/console/measure-first-paint.ts [--executions 1000] [--runs 5]
 * Prints, per page, the median time from navigation start to the first contentful paint and to
 * the moment the page's data is on screen (the page's `console:<page>:rendered` mark).
 */
import { parseArgs } from 'node:util';
import { chromiumMissing } from './browser';
import { openConsoleSession, signIn } from './session';

/** An upload workflow in miniature: the same event in, a verdict out, a few states of history. */
const BENCH_DEFINITION = {
  StartAt: 'Check',
  States: {
    Check: {
      Type: 'Pass',
      Result: { accepted: false, rejection: { reason: 'IMAGE_TOO_SMALL' } },
      ResultPath: '$.verdict',
      Next: 'Verdict?',
    },
    'Verdict?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.verdict.accepted', BooleanEquals: true, Next: 'Done' }],
      Default: 'Record',
    },
    Record: { Type: 'Pass', Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { executions: { type: 'string', default: '1000' }, runs: { type: 'string', default: '5' } },
  });
  const missing = chromiumMissing();
  if (missing) throw new Error(`cannot measure: ${missing}`);
  const count = Number(values.executions);
  const runs = Number(values.runs);
  const session = await openConsoleSession('measure', {
    viewport: { width: 1400, height: 900 },
    timeoutMs: 30_000,
  });
  try {
    const { app, consoleUrl: url, page } = session;
    const { engine } = app.runtime;
    const machine = engine.registerStateMachine({ name: 'ConsoleBench', definition: BENCH_DEFINITION });
    const arns: string[] = [];
    for (let index = 0; index < count; index++) {
      const detail = { uploadId: `bench-${String(index).padStart(5, '0')}`, placeId: 'bench-park' };
      const input = JSON.stringify({ 'detail-type': 'uploadComplete', source: 'happy-path.uploads', detail });
      arns.push(engine.startExecution({ stateMachineArn: machine.stateMachineArn, input }).executionArn);
    }
    for (const arn of arns) await engine.waitForExecution(arn, { timeoutMs: 60_000 });
    console.log(`${count} executions stored`);

    const apiTimes: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      await (await fetch(`${url}/api/executions`)).json();
      apiTimes.push(performance.now() - started);
    }
    console.log(
      `GET /api/executions (50 of ${count}, with outcomes): median ${median(apiTimes).toFixed(0)} ms`,
    );
    await signIn(page, url, 'user-bench');
    await page.getByRole('heading', { name: 'Places' }).waitFor();
    const pages: Array<[string, string]> = [
      ['photos', '#/photos'],
      ['executions', '#/executions'],
      ['execution', `#/execution/${encodeURIComponent(arns[arns.length - 1] ?? '')}`],
      ['outbox', '#/outbox'],
      ['gdpr', '#/gdpr'],
    ];
    console.log('page         first paint   data on screen   (median of runs, ms since navigation start)');
    for (const [name, hash] of pages) {
      const paints: number[] = [];
      const rendered: number[] = [];
      for (let run = 0; run < runs; run++) {
        await page.goto('about:blank');
        await page.goto(`${url}/${hash}`);
        const mark = `console:${name}:rendered`;
        // Functions, not strings: the console's CSP forbids eval.
        await page.waitForFunction((wanted) => performance.getEntriesByName(wanted).length > 0, mark, {
          timeout: 30_000,
        });
        const timing = await page.evaluate(
          (wanted) => ({
            paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
            rendered: performance.getEntriesByName(wanted)[0]?.startTime ?? Number.NaN,
          }),
          mark,
        );
        paints.push(timing.paint ?? Number.NaN);
        rendered.push(timing.rendered);
      }
      console.log(
        `${name.padEnd(12)} ${median(paints).toFixed(0).padStart(8)}      ${median(rendered).toFixed(0).padStart(8)}`,
      );
    }
  } finally {
    await session.close();
  }
}

main().catch((error: Error) => {
  console.error(`measure failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
