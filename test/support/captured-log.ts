import type { TestApp } from './test-app.js';

/**
 * Starts the app of a describe block (`start`, in beforeAll) with everything it writes to stdout
 * captured as lines, and closes it after the block. The capture is installed before the app starts:
 * pino then writes through process.stdout instead of its own fd stream. Use it in a file of its own
 * (nestjs-pino builds one pino logger per module registry: the first app started wins).
 */
export function appWithCapturedLog(start: () => Promise<TestApp>): { lines: string[]; app: () => TestApp } {
  const lines: string[] = [];
  let t: TestApp | undefined;
  const originalWrite = process.stdout.write;
  beforeAll(async () => {
    process.stdout.write = ((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter((l) => l.trim() !== ''));
      return true;
    }) as typeof process.stdout.write;
    try {
      t = await start();
    } catch (error) {
      process.stdout.write = originalWrite;
      throw error;
    }
  });
  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      process.stdout.write = originalWrite;
    }
  });
  return { lines, app: () => t! };
}
