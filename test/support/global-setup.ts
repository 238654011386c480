import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds once before the suite, as `npm start` does (`dist/` and the workspace packages' own
 * `dist/`, which the built service loads the emulator package from), for the tests that start the
 * service, the CLIs or the emulator as a separate process the way a user does (building in each
 * test file would race).
 */
export default function globalSetup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
}
