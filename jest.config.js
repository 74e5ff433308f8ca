/** One jest run for every suite: unit, templates, workflows and local end-to-end. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // Both cores: every suite starts its own local services on ephemeral ports and data directories.
  maxWorkers: 2,
  // jose and @middy/core ship only ES modules; jest (on Node 20) loads CommonJS, so ts-jest
  // compiles their files like the project's own.
  transformIgnorePatterns: ['/node_modules/(?!(jose|@middy/core)/)'],
  transform: {
    // .js only for the ESM-only packages let through above.
    '^.+\\.[tj]s$': [
      'ts-jest',
      {
        tsconfig: {
          allowJs: true,
          module: 'commonjs',
          moduleResolution: 'node10',
          isolatedModules: true,
          ignoreDeprecations: '6.0',
        },
        diagnostics: false,
      },
    ],
  },
  moduleNameMapper: {
    '^#shared/(.*)$': '<rootDir>/functions/shared/$1',
    '^#clients/(.*)$': '<rootDir>/functions/shared/clients/$1',
  },
  setupFiles: ['<rootDir>/tests/helpers/env.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  clearMocks: true,
};
