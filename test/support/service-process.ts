import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT } from './spawn.js';

/** A port free right now on loopback (taken and released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ServiceProcess {
  child: ChildProcess;
  /** The text between the start-up banner's two rules. */
  banner: string;
  /** Everything printed before the banner (the log lines of the start). */
  beforeBanner: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then waits for the process to end. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const RULE = '='.repeat(78);

/**
 * Starts `node dist/src/main.js` as `npm start` does (after the build), with a clean environment
 * (PATH and HOME and `env`, as a newcomer's shell), and waits for its start-up banner. Rejects
 * with what it printed when it exits first.
 */
export function startService(env: Record<string, string>, timeoutMs = 170_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no banner within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    const look = () => {
      const first = stdout.indexOf(RULE);
      const second = first >= 0 ? stdout.indexOf(RULE, first + RULE.length) : -1;
      if (second < 0) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve({
        child,
        banner: stdout.slice(first + RULE.length, second).trim(),
        beforeBanner: stdout.slice(0, first),
        stdout: () => stdout,
        stderr: () => stderr,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout!.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code ?? signal}) before its banner\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

/** The value of a banner line `  Label   value`. */
export function bannerValue(banner: string, label: string): string | undefined {
  return new RegExp(`^  ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +(.+)$`, 'm').exec(banner)?.[1];
}
