// The browser suite (`npm run test:browser`): the same Jest setup as jest.config.js (TypeScript
// through SWC as native ESM; the global setup builds, which compiles the billing page and the client
// package the browser loads), but only `test/browser/**/*.browser.ts`, which `npm test` never picks
// up (its testMatch is `*.spec.ts`). Chromium is Debian's (/usr/bin/chromium), driven by playwright-core.
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test/browser/**/*.browser.ts'],
  // One browser at a time on a 2-core machine.
  maxWorkers: 1,
};
