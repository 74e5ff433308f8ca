/**
 * Function invocations running at once in an app a test starts (npm start's default is four per
 * core, eight here). Each invocation running beside another of the same function needs an execution
 * environment of its own: a node process that loads the function and the AWS SDK, about half a
 * second of CPU. `npm test` already keeps both cores busy with two suites at once, so two slots per
 * app lose no speed and start about 40 % fewer environments than four (10 instead of 17 in the v1
 * suite); requests are still served before workflow tasks, so nothing a test waits for queues long.
 */
export const TEST_APP_CONCURRENCY = 2;
