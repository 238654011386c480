import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds `dist/` once before the suite, for the tests that start the service, the CLIs or the
 * emulator as a separate process the way a user does (building in each test file would race).
 */
export default function globalSetup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync('npx', ['swc', 'src', 'emulator', 'migrations', 'scripts', '-d', 'dist', '--config-file', '.swcrc', '--quiet'], { cwd: root, stdio: 'inherit' });
}
