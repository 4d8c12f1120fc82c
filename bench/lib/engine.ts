import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { sleep } from './report';

/** An engine subcommand running as its own OS process, so the load generator does not share its event loop. */
export interface EngineProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  /** peak resident set (VmHWM) so far, in MiB; NaN where /proc is missing */
  peakRssMiB(): number;
  /** CPU seconds used so far (see `cpuSeconds`) */
  cpuSeconds(): number;
  tail(lines?: number): string;
  /** SIGTERM, SIGKILL after `timeoutMs` */
  stop(timeoutMs?: number): Promise<void>;
}

const root = resolve(__dirname, '..', '..');

const freePort = (): Promise<number> =>
  new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        done(port);
      });
    });
  });

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((done) => {
        child.once('exit', () => {
          done();
        });
      });

/** VmHWM from /proc/<pid>/status: the kernel's own high-water mark, so no sampling can miss the peak. */
export const peakRssMiB = (pid: number): number => {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return Number.NaN;
  const kb = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(file, 'utf8'))?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
};

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN where /proc is missing. Unlike
 * latency or throughput it hardly moves when other work shares the machine: the signal for "cheaper per order".
 */
export const cpuSeconds = (pid: number): number => {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return Number.NaN;
  // the command name (field 2) may hold spaces: count fields after its closing parenthesis
  const text = readFileSync(file, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
};

export interface StartOptions {
  readonly name: string;
  readonly subcommand: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logDir: string;
  /** extra node flags, e.g. --cpu-prof */
  readonly nodeArgs?: readonly string[];
  readonly readyTimeoutMs?: number;
  /** for processes without HTTP (saga-runner): ready once this text is in the log (needs LOG_LEVEL=info) */
  readonly readyLogText?: string;
}

export const startEngine = async (o: StartOptions): Promise<EngineProcess> => {
  const port = await freePort();
  const logFile = join(o.logDir, `${o.name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [...(o.nodeArgs ?? []), '-r', 'tsx/cjs', join(root, 'app/cli/main.ts'), o.subcommand],
    {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...o.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', fd, fd],
    },
  );
  closeSync(fd);
  const pid = child.pid ?? -1;
  const url = `http://127.0.0.1:${port}`;
  const tail = (lines = 30): string => readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${o.name} exited with ${child.exitCode} before ready:\n${tail()}`);
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
      throw new Error(`${o.name} not ready in time:\n${tail()}`);
    }
    await sleep(100);
  }
  return {
    name: o.name,
    url,
    pid,
    logFile,
    tail,
    peakRssMiB: () => peakRssMiB(pid),
    cpuSeconds: () => cpuSeconds(pid),
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited(child);
      clearTimeout(timer);
    },
  };
};
