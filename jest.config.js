/** One jest run for every suite: unit, templates, workflows and local end-to-end. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // .js only for the ESM-only packages let through below (transformIgnorePatterns).
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
  // @middy/core ships ESM only; jest (on Node < 24.9) loads CommonJS, so it is compiled like the tests.
  transformIgnorePatterns: ['/node_modules/(?!@middy/core/)'],
  moduleNameMapper: {
    '^#shared/(.*)$': '<rootDir>/functions/shared/$1',
    '^#clients/(.*)$': '<rootDir>/functions/shared/clients/$1',
  },
  setupFiles: ['<rootDir>/tests/helpers/env.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  clearMocks: true,
};
