import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, resolve, sep } from 'node:path';
import { errorMessage, progress, seconds } from './log';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolveSleep) => {
    setTimeout(resolveSleep, ms);
  });

/** Last `lines` lines of a text file, or a note that it cannot be read. */
export const tailFile = (path: string, lines = 40): string => {
  try {
    const text = readFileSync(path, 'utf8');
    const all = text.split('\n');
    return all.slice(Math.max(0, all.length - lines - 1)).join('\n');
  } catch (error) {
    return `(cannot read ${path}: ${errorMessage(error)})`;
  }
};

const procState = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "<pid> (<comm>) <state> ..." — comm may contain spaces and parentheses, so split after the last ")"
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
};

/** True while the process exists and is not a zombie. */
/** The process and every process below it (`serve` starts its engine worker), from /proc; [] where /proc is missing. */
export const processTree = (pid: number): number[] => {
  const file = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(file)) return existsSync(`/proc/${pid}`) ? [pid] : [];
  const children = readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...children.flatMap(processTree)];
};

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EPERM') return true;
    return false;
  }
  return procState(pid) !== 'Z';
};

/** The command line of a process (Linux /proc), or undefined where that cannot be read. */
export const commandLine = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
};

/**
 * True when `pid` is alive AND its command line mentions `marker` (the server's temporary data folder), so a pid
 * recycled by the OS for some other program is never mistaken for our server (and never signalled).
 */
export const isOurProcess = (pid: number, marker: string): boolean => {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd === undefined || cmd.includes(marker);
};

const signal = (pid: number | undefined, sig: NodeJS.Signals): void => {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return;
  try {
    // servers are spawned detached, so each leads its own process group
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
};

/** Process groups of build/download commands still running (killed if the harness itself is interrupted). */
const activeCommands = new Set<number>();

export const killActiveCommands = (): void => {
  for (const pid of activeCommands) signal(pid, 'SIGKILL');
  activeCommands.clear();
};

let interruption: string | undefined;

/** Makes every running build command die and every readiness wait give up, so callers clean up and return. */
export const interrupt = (why: string): void => {
  interruption = why;
  killActiveCommands();
};

export const interrupted = (): string | undefined => interruption;

export type StopOutcome = 'not-running' | 'terminated' | 'killed';

/** SIGTERM, wait up to `graceMs`, then SIGKILL; bounded in all cases. */
export const stopProcess = async (
  pid: number,
  marker: string,
  name: string,
  graceMs = 20_000,
): Promise<StopOutcome> => {
  if (!isOurProcess(pid, marker)) return 'not-running';
  const started = Date.now();
  signal(pid, 'SIGTERM');
  while (Date.now() - started < graceMs) {
    if (!isAlive(pid)) {
      progress(`${name} (pid ${pid}) stopped after ${seconds(Date.now() - started)}`);
      return 'terminated';
    }
    await sleep(100);
  }
  progress(`${name} (pid ${pid}) ignored SIGTERM for ${seconds(graceMs)}; sending SIGKILL`);
  signal(pid, 'SIGKILL');
  const killedAt = Date.now();
  while (isAlive(pid) && Date.now() - killedAt < 5_000) await sleep(100);
  return 'killed';
};

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        if (port > 0) resolvePort(port);
        else reject(new Error('could not allocate a free port'));
      });
    });
  });

export const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => {
      resolveFree(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolveFree(true);
      });
    });
  });

export const portFromEnv = async (name: string, env: Readonly<Record<string, string | undefined>>): Promise<number> => {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return freePort();
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`${name}=${raw} is not a TCP port`);
  if (!(await portIsFree(port))) throw new Error(`${name}=${port}: port is already in use on 127.0.0.1`);
  return port;
};

export interface WaitOptions {
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /**
   * Checked before each attempt; a message returned twice in a row, `intervalMs` apart, aborts the wait (e.g.
   * "process exited"). Once only was not enough: a broker restarted under load was reported exited while it was
   * starting and went on to run (its data folder was then removed under it).
   */
  readonly abortIf?: () => string | undefined;
  /** Extra diagnostics appended to the timeout/abort error (e.g. the tail of a log). */
  readonly diagnostics?: () => string;
}

/** Polls `probe` until it resolves true; progress every 5 s; clear error on timeout. */
export const waitUntil = async (probe: () => Promise<boolean>, options: WaitOptions): Promise<number> => {
  const started = Date.now();
  let lastReport = started;
  let lastError = '';
  const fail = (reason: string): Error =>
    new Error(
      `${options.what}: ${reason}${lastError === '' ? '' : ` (last probe error: ${lastError})`}` +
        (options.diagnostics === undefined ? '' : `\n${options.diagnostics()}`),
    );
  let abortSeen = false;
  for (;;) {
    const aborted = interruption ?? options.abortIf?.();
    if (aborted !== undefined && (abortSeen || interruption !== undefined)) throw fail(aborted);
    abortSeen = aborted !== undefined;
    try {
      if (await probe()) return Date.now() - started;
    } catch (error) {
      lastError = errorMessage(error);
    }
    const now = Date.now();
    if (now - started >= options.timeoutMs) throw fail(`not ready after ${seconds(options.timeoutMs)}`);
    if (now - lastReport >= 5_000) {
      progress(`${options.what}: still waiting (${seconds(now - started)})`);
      lastReport = now;
    }
    await sleep(options.intervalMs ?? 250);
  }
};

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Full output goes here; failures quote its tail. */
  readonly logFile: string;
  readonly timeoutMs: number;
  /** Short name for progress lines. */
  readonly label: string;
  /** Called for each output line; return a string to print it as a progress line. */
  readonly onLine?: (line: string) => string | undefined;
  /** Summary for the periodic heartbeat line. */
  readonly heartbeat?: () => string;
}

/** Runs a build/download command to completion, with progress lines, a log file and a hard timeout. */
export const runCommand = (command: string, args: readonly string[], options: RunOptions): Promise<string> =>
  new Promise((resolveRun, reject) => {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const fd = openSync(options.logFile, 'w');
    writeSync(fd, `$ ${command} ${args.join(' ')}\n`);
    const started = Date.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid !== undefined) activeCommands.add(pid);
    let output = '';
    let pending = '';
    const onData = (chunk: Buffer): void => {
      writeSync(fd, chunk);
      const text = chunk.toString('utf8');
      output += text;
      if (output.length > 1_000_000) output = output.slice(-500_000);
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const shown = options.onLine?.(line);
        if (shown !== undefined) progress(`${options.label}: ${shown}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const heartbeat = setInterval(() => {
      const extra = options.heartbeat?.() ?? '';
      progress(`${options.label}: running for ${seconds(Date.now() - started)}${extra === '' ? '' : `, ${extra}`}`);
    }, 10_000);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signal(child.pid, 'SIGTERM');
      setTimeout(() => {
        signal(child.pid, 'SIGKILL');
      }, 5_000).unref();
    }, options.timeoutMs);
    const finish = (error: Error | undefined): void => {
      if (pid !== undefined) activeCommands.delete(pid);
      clearInterval(heartbeat);
      clearTimeout(timer);
      closeSync(fd);
      if (error === undefined) resolveRun(output);
      else reject(error);
    };
    child.once('error', (error) => {
      finish(new Error(`${options.label}: cannot run "${command}": ${error.message}`));
    });
    child.once('close', (code, sig) => {
      if (code === 0 && !timedOut) {
        finish(undefined);
        return;
      }
      const why = timedOut
        ? `timed out after ${seconds(options.timeoutMs)}`
        : `exited with ${code === null ? `signal ${sig ?? '?'}` : `code ${code}`}`;
      finish(
        new Error(
          `${options.label}: "${command} ${args.join(' ')}" ${why}; full log: ${options.logFile}\n--- last lines ---\n` +
            tailFile(options.logFile, 30),
        ),
      );
    });
  });

/** Starts a long-running server detached from this process, output appended to `logFile`; returns its pid. */
export const spawnDaemon = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly logFile: string; readonly env?: NodeJS.ProcessEnv },
): Promise<number> =>
  new Promise((resolveSpawn, reject) => {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const fd = openSync(options.logFile, 'a');
    writeSync(fd, `\n$ ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    child.once('error', (error) => {
      reject(new Error(`cannot start "${command}": ${error.message}`));
    });
    child.once('spawn', () => {
      child.unref();
      if (child.pid === undefined) reject(new Error(`cannot start "${command}": no pid`));
      else resolveSpawn(child.pid);
    });
  });

/** Removes a temporary data folder this harness created (refuses anything outside the OS temp folder). */
export const removeTempDir = (dir: string): void => {
  const absolute = resolve(dir);
  const tmp = resolve(tmpdir());
  if (!absolute.startsWith(tmp + sep) || !basename(absolute).startsWith('commerce-')) {
    progress(`not removing ${absolute}: not a harness temp folder`);
    return;
  }
  if (existsSync(absolute) && statSync(absolute).isDirectory()) rmSync(absolute, { recursive: true, force: true });
};
