/**
 * `npm start`: runs the whole application offline from its SAM templates. The runtime's parts
 * live in local/ (template loader, S3, EventBridge, Step Functions, service stand-ins) and are
 * being wired together; until then this says so instead of pretending to run.
 */
console.error(
  'The local runtime is not wired together yet (see the local runtime issue). `npm test` runs every test today.',
);
process.exitCode = 1;
