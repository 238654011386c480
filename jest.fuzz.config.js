// The fuzz suite (`npm run test:fuzz`): the same Jest setup as jest.config.js (TypeScript through
// SWC as native ESM), but only the `test/fuzz/**/*.fuzz.ts` files, which `npm test` never picks up
// (its testMatch is `*.spec.ts`). No globalSetup: the fuzz suite spawns no built process.
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/fuzz/**/*.fuzz.ts'],
  globalSetup: undefined,
  // One app, one file: its requests are serial so that the counts before and after a batch are exact.
  maxWorkers: 1,
};
