// The reliability suite (`npm run test:reliability`, run by .ci/run on real PostgreSQL): the same
// Jest setup as jest.config.js, but only `test/reliability/**/*.reliability.ts`, which start the
// built service as several processes (the global setup builds it) and break things around them.
// One file at a time: each one loads the whole machine.
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/reliability/**/*.reliability.ts'],
  maxWorkers: 1,
  testTimeout: 600000,
};
