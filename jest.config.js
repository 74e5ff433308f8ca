/** One jest run for every suite: unit, templates, workflows and local end-to-end. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // Both cores: every suite starts its own local services on ephemeral ports and data directories.
  maxWorkers: 2,
  // jose and @middy/core ship only ES modules; jest (on Node 20) loads CommonJS, so they are
  // compiled like the project's own files.
  transformIgnorePatterns: ['/node_modules/(?!(jose|@middy/core)/)'],
  // TypeScript (and the .js of the ESM-only packages above) to CommonJS with esbuild, file by file.
  transform: { '^.+\\.[tj]s$': '<rootDir>/tests/helpers/esbuild-transformer.js' },
  // Slow suites (the local app, processes, a browser, the vision models) first, also without a cache.
  testSequencer: '<rootDir>/tests/helpers/sequencer.js',
  // jest's runtime with V8's code cache: each suite no longer compiles the same modules afresh.
  runtime: '<rootDir>/tests/helpers/code-cache-runtime.js',
  moduleNameMapper: {
    '^#shared/(.*)$': '<rootDir>/functions/shared/$1',
    '^#clients/(.*)$': '<rootDir>/functions/shared/clients/$1',
  },
  setupFiles: ['<rootDir>/tests/helpers/env.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  clearMocks: true,
};
