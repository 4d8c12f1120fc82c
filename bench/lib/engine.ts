import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../tools/services/paths';
import { processTree } from '../../tools/services/proc';
import { progress } from './report';
import {
  startEngineProcess,
  type EngineProcess as RunningEngine,
  type EngineProcessOptions,
} from '../../tools/services/engine-process';

/** An engine subcommand running as its own OS process, so the load generator does not share its event loop. */
export interface EngineProcess extends RunningEngine {
  /** peak resident set (VmHWM) so far, in MiB, summed over the process and its worker; NaN where /proc is missing */
  peakRssMiB(): number;
  /** CPU seconds used so far by the process and its worker (see `cpuSeconds`) */
  cpuSeconds(): number;
  /** the same, per process: the engine first, then its worker */
  perProcess(): {
    readonly pid: number;
    readonly peakRssMiB: number;
    readonly cpuSeconds: number;
    readonly writtenBytes: number;
  }[];
}

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

/** Bytes a process has sent to storage so far (write_bytes in /proc/<pid>/io: files, not sockets); NaN if missing. */
export const writtenBytes = (pid: number): number => {
  const file = `/proc/${pid}/io`;
  if (!existsSync(file)) return Number.NaN;
  const bytes = /^write_bytes:\s+(\d+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
  return bytes === undefined ? Number.NaN : Number(bytes);
};

export type StartOptions = EngineProcessOptions;

/**
 * A module of the engine as `npm start` runs it: compiled (`dist/<path>.js`, built once per run), not the source the
 * bench itself runs through tsx, whose transform adds work of its own to every function the engine defines.
 * Cast it to `typeof import('<the source module>')`.
 */
export const compiledModule = (path: string): unknown => {
  buildOnce();
  return require(join(repoRoot(), 'dist', `${path}.js`));
};

let built = false;

/** Compiles the TypeScript once per bench run (`npm run build:ts`): the engine is measured as `npm start` runs it. */
export const buildOnce = (): void => {
  if (built) return;
  progress('compiling the engine (npm run build:ts), to measure it as npm start runs it');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot(), stdio: 'inherit' });
  built = true;
};

/**
 * The shared launcher (tools/services/engine-process.ts), quiet by default, with /proc readings for the bench. The
 * engine runs compiled, as `npm start` runs it.
 */
export const startEngine = async (o: StartOptions): Promise<EngineProcess> => {
  buildOnce();
  const engine = await startEngineProcess({ ...o, compiled: true, env: { LOG_LEVEL: 'warn', ...o.env } });
  const sum = (read: (pid: number) => number) => (): number =>
    processTree(engine.pid).reduce((total, pid) => total + read(pid), 0);
  return {
    ...engine,
    peakRssMiB: sum(peakRssMiB),
    cpuSeconds: sum(cpuSeconds),
    perProcess: () =>
      processTree(engine.pid).map((pid) => ({
        pid,
        peakRssMiB: peakRssMiB(pid),
        cpuSeconds: cpuSeconds(pid),
        writtenBytes: writtenBytes(pid),
      })),
  };
};
