import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths';
import { freePort, sleep } from './proc';

/** An engine subcommand running as a real OS process (tests, benches, schemathesis), its log in a file. */
export interface EngineProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM and wait (bounded); SIGKILL if it does not exit; answers the exit code */
  stop(timeoutMs?: number): Promise<number | null>;
  kill(): Promise<void>;
  tail(lines?: number): string;
}

export interface EngineProcessOptions {
  readonly name: string;
  /** `serve`, `command-api`, `relay`, … */
  readonly subcommand: string;
  /** added to this process's environment; PORT and HOST are chosen here (a free port on 127.0.0.1) */
  readonly env: Readonly<Record<string, string>>;
  /** where `<name>.log` is written */
  readonly logDir: string;
  /** extra node flags, e.g. --cpu-prof */
  readonly nodeArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
  /** for processes without HTTP: ready once this text is in the log (needs LOG_LEVEL=info) */
  readonly readyLogText?: string;
  /** run the compiled `dist/app/cli/main.js` (as `npm start` does; build it first) instead of the source under tsx */
  readonly compiled?: boolean;
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((done) =>
        child.once('exit', (code) => {
          done(code);
        }),
      );

/** Starts `app/cli/main.ts <subcommand>` (or its compiled form) and resolves once it answers `/readyz` (or logs `readyLogText`). */
export const startEngineProcess = async (o: EngineProcessOptions): Promise<EngineProcess> => {
  const root = repoRoot();
  const port = await freePort();
  const logFile = join(o.logDir, `${o.name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      ...(o.nodeArgs ?? []),
      ...(o.compiled === true
        ? [join(root, 'dist/app/cli/main.js')]
        : ['-r', 'tsx/cjs', join(root, 'app/cli/main.ts')]),
      o.subcommand,
    ],
    {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'info', ...o.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', fd, fd],
    },
  );
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const tail = (lines = 30): string => readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
  const readyTimeoutMs = o.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${o.name} exited with ${child.exitCode} before it was ready:\n${tail()}`);
    const ok =
      o.readyLogText === undefined
        ? await fetch(`${url}/readyz`).then(
            (r) => r.ok,
            () => false,
          )
        : readFileSync(logFile, 'utf8').includes(o.readyLogText);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${o.name} not ready after ${readyTimeoutMs} ms:\n${tail()}`);
    }
    await sleep(100);
  }
  return {
    name: o.name,
    url,
    child,
    pid: child.pid ?? -1,
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
