// `npm test` in this package: its tests alone, TypeScript through SWC as native ESM
// (NODE_OPTIONS=--experimental-vm-modules, set by the npm script). Relative imports are written
// with `.js` endings (NodeNext); the mapper points them back at the .ts sources. The repository's
// root suite runs the same files with its own configuration.
import { readFileSync } from 'node:fs';

const swc = JSON.parse(readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'));
delete swc.$schema;

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  // Generous: a loaded 2-core machine is slow; no test asserts on time.
  testTimeout: 180000,
  maxWorkers: 2,
};
