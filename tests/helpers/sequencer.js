/**
 * Starts the slow suites first, so that jest's two workers finish together instead of one running
 * an end-to-end suite alone at the end.
 *
 * jest orders suites by the durations of the last run, kept in its cache; without a cache (a clean
 * clone, CI) it falls back to the largest file first, which starts the end-to-end suites (files of
 * three lines that call a shared helper) last. Here, among the suites without a recorded duration,
 * those that start something slow (the local app, `npm start` or another process, a browser, the
 * vision models), in their own file or in a test helper they import, run before the others; within
 * each group, the larger file (with its helpers) first. Once slow suites all start early, the many
 * quick ones fill both workers to the end.
 */
const { readFileSync } = require('node:fs');
const { dirname, resolve } = require('node:path');
const TestSequencer = require('@jest/test-sequencer').default;

/** Calls that take seconds: they start the local app, a process, a browser or the vision models. */
const SLOW_WORK =
  /\b(startLocalApp|startRuntime|soak|spawn\w*|execFile\w*|fork|[cC]hromium\w*|openConsoleSession|ModelVisionEngine)\b/;

/** The test file and the files it imports by a relative path from under tests/ (one level). */
function sourceWithHelpers(path) {
  const source = readFileSync(path, 'utf8');
  const helpers = [...source.matchAll(/from '(\.{1,2}\/[^']+)'/g)]
    .map((match) => resolve(dirname(path), `${match[1]}.ts`))
    .filter((helper) => helper.includes('/tests/') && !helper.endsWith('.test.ts'))
    .flatMap((helper) => {
      try {
        return [readFileSync(helper, 'utf8')];
      } catch {
        return [];
      }
    });
  return [source, ...helpers].join('\n');
}

class SlowFirstSequencer extends TestSequencer {
  sort(tests) {
    const estimate = new Map(
      tests.map((test) => {
        const source = sourceWithHelpers(test.path);
        return [test.path, { slow: SLOW_WORK.test(source), size: source.length }];
      }),
    );
    // As jest's own sequencer: the recorded duration also feeds jest's progress estimate.
    for (const test of tests) test.duration = this.time(test);
    const recorded = (test) => test.duration;
    return [...tests].sort((a, b) => {
      const failed = Number(this.hasFailed(b)) - Number(this.hasFailed(a));
      if (failed !== 0) return failed;
      const [timeA, timeB] = [recorded(a), recorded(b)];
      if (timeA !== undefined && timeB !== undefined) return timeB - timeA;
      if ((timeA === undefined) !== (timeB === undefined)) return timeA === undefined ? -1 : 1;
      const [guessA, guessB] = [estimate.get(a.path), estimate.get(b.path)];
      if (guessA.slow !== guessB.slow) return guessA.slow ? -1 : 1;
      return guessB.size - guessA.size;
    });
  }
}

module.exports = SlowFirstSequencer;
