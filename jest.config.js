/** Tests run against real PostgreSQL (TEST_DATABASE_URL) and embedded PGlite. PGlite loads parts of itself with
 * dynamic import(), which jest only allows under NODE_OPTIONS=--experimental-vm-modules (set by `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: { warnOnly: false } }] },
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
