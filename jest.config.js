// Jest runs TypeScript through SWC as native ESM (NODE_OPTIONS=--experimental-vm-modules, set by the npm scripts).
// Relative imports are written with `.js` endings (NodeNext); the mapper points them back at the .ts sources.
// Workspace packages (emulator/, client/) are imported by name and resolved through their "@billing/source"
// export condition to their TypeScript sources, as tsc does (see tsconfig.json): no build needed.
import { readFileSync } from 'node:fs';

const swc = JSON.parse(readFileSync(new URL('./.swcrc', import.meta.url), 'utf8'));
delete swc.$schema;

export default {
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', '@billing/source'] },
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.spec.ts', '<rootDir>/emulator/test/**/*.spec.ts', '<rootDir>/client/test/**/*.spec.ts', '<rootDir>/src/**/*.spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/test/support/preload-nest.ts'],
  // Generous: a loaded 2-core machine runs PGlite and spawned processes slowly; no test asserts on time.
  testTimeout: 180000,
  maxWorkers: 2,
};
