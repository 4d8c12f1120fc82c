import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** Runs engine subcommands as real OS processes for end-to-end tests, with logs in files and bounded waits. */
export interface EngineProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** SIGTERM and wait (bounded); SIGKILL if it does not exit */
  stop(timeoutMs?: number): Promise<number | null>;
  kill(): Promise<void>;
  tail(lines?: number): string;
}

const root = resolve(__dirname, '..');

export const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolvePort(port);
      });
    });
  });

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((done) =>
        child.once('exit', (code) => {
          done(code);
        }),
      );

export const startEngineProcess = async (
  name: string,
  subcommand: string,
  env: Readonly<Record<string, string>>,
  logDir: string,
  readyTimeoutMs = 60_000,
): Promise<EngineProcess> => {
  const port = await freePort();
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', join(root, 'app/cli/main.ts'), subcommand], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: env.LOG_LEVEL ?? 'info' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const tail = (lines = 30): string => readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${tail()}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready after ${readyTimeoutMs} ms:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    url,
    child,
    logFile,
    tail,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited(child);
      clearTimeout(timer);
      return code;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
};
