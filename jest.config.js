/** Tests run against real PostgreSQL (TEST_DATABASE_URL) and embedded PGlite. PGlite loads parts of itself with
 * dynamic import(), which jest only allows under NODE_OPTIONS=--experimental-vm-modules (set by `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: { warnOnly: false } }] },
  // the merchant's import of the testing kit (docs/testing.md), resolved to its source here
  moduleNameMapper: { '^refwire/testing$': '<rootDir>/src/testing-kit/index.ts' },
  testTimeout: 60000,
  maxWorkers: 2,
  // a worker is replaced after a test file once it holds more than this: each suite leaves some heap behind (its
  // app, Prisma clients, compiled modules), and one worker kept through ~60 files grew to its 4 GB limit and died
  workerIdleMemoryLimit: '1GB',
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
