import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureFerretDbBinary, ferretDbAnswers, startFerretDb } from './ferretdb';
import { ensureKafkaLib, kafkaAnswers, startKafka, startKafkaAgain } from './kafka';
import { ensurePostgresBinaries, postgresAnswers, startPostgres, startPostgresAgain, stopPostgres } from './postgres';
import { errorMessage, progress, seconds } from './log';
import { repoRoot } from './paths';
import { freePort, isAlive, isOurProcess, removeTempDir, stopProcess, waitUntil } from './proc';
import {
  envFile,
  envLines,
  forgetOwned,
  listOwned,
  readState,
  recordOwned,
  serviceNames,
  writeEnvFile,
  writeState,
  type ServiceName,
  type ServiceRecord,
  type ServicesState,
} from './state';

/** Stops one server this harness started (SIGTERM, then SIGKILL after `graceMs`) and removes its temp data. */
export const stopService = async (record: ServiceRecord, graceMs = 20_000): Promise<void> => {
  if (record.name === 'postgres') {
    await stopPostgres(record);
    removeTempDir(record.dataDir);
    return;
  }
  const outcome = await stopProcess(record.pid, record.dataDir, record.name, graceMs);
  if (outcome === 'not-running') progress(`${record.name}: already exited (pid ${record.pid})`);
  removeTempDir(record.dataDir);
};

/**
 * Starts a FerretDB of the caller's own (e.g. to kill it on purpose) on a free port, recorded as owned by this
 * process: if the caller dies before `stopOwnedService`, the harness stops it on its next start/stop/test.
 */
export const startOwnedFerretDb = async (logPath: string): Promise<ServiceRecord> => {
  const record = await startFerretDb({ port: await freePort(), logPath });
  recordOwned(record);
  return record;
};

export const stopOwnedService = async (record: ServiceRecord, graceMs = 5_000): Promise<void> => {
  await stopService(record, graceMs);
  forgetOwned(record);
};

/**
 * A PostgreSQL or Kafka of the caller's own that it can stop and start again on the same port and data (to restart
 * it under load), recorded as owned like `startOwnedFerretDb` (re-recorded under each new pid).
 */
export interface RestartableService {
  /** the server as it runs now (its pid changes with each start) */
  readonly record: ServiceRecord;
  readonly running: boolean;
  /** stops the server and keeps its data: `pg_ctl stop -m fast`, or SIGTERM to the broker (controlled shutdown) */
  stop(): Promise<void>;
  /** starts it again on the same port with the same data, and waits until it answers */
  start(): Promise<void>;
  /** stops it for good and removes its data */
  dispose(): Promise<void>;
}

export const startOwnedRestartable = async (
  name: 'postgres' | 'kafka',
  logPath: string,
): Promise<RestartableService> => {
  const prepared = name === 'postgres' ? await ensurePostgresBinaries() : await ensureKafkaLib();
  const port = await freePort();
  let record =
    name === 'postgres'
      ? await startPostgres({ port, logPath, binDir: prepared })
      : await startKafka({ port, logPath, lib: prepared });
  recordOwned(record);
  let running = true;
  return {
    get record() {
      return record;
    },
    get running() {
      return running;
    },
    async stop() {
      if (!running) return;
      if (name === 'postgres') await stopPostgres(record, prepared);
      else await stopProcess(record.pid, record.dataDir, record.name, 20_000);
      running = false;
    },
    async start() {
      if (running) return;
      const again =
        name === 'postgres'
          ? await startPostgresAgain(record, { binDir: prepared })
          : await startKafkaAgain(record, { lib: prepared });
      forgetOwned(record);
      record = again;
      recordOwned(record);
      running = true;
    },
    async dispose() {
      running = false;
      await stopOwnedService(record);
    },
  };
};

/** Stops owned servers whose owner process is gone. */
export const sweepOrphans = async (): Promise<void> => {
  for (const { ownerPid, record } of listOwned()) {
    if (isAlive(ownerPid)) continue;
    progress(`${record.name} (pid ${record.pid}) outlived the test process ${ownerPid} that started it: stopping it`);
    await stopOwnedService(record);
  }
};

export const serviceAnswers = (record: ServiceRecord, timeoutMs = 3_000): Promise<boolean> => {
  switch (record.name) {
    case 'kafka':
      return kafkaAnswers(record.url, timeoutMs);
    case 'ferretdb':
      return ferretDbAnswers(record.url, timeoutMs);
    case 'postgres':
      return postgresAnswers(record.url, timeoutMs);
  }
};

/** Downloads/builds/installs what a server needs (cached), so no server sits idle while another one compiles. */
const prepare = async (name: ServiceName): Promise<string> => {
  switch (name) {
    case 'kafka':
      return ensureKafkaLib();
    case 'ferretdb':
      return ensureFerretDbBinary();
    case 'postgres':
      return ensurePostgresBinaries();
  }
};

const startOne = (name: ServiceName, prepared: string | undefined): Promise<ServiceRecord> => {
  switch (name) {
    case 'kafka':
      return startKafka({ lib: prepared });
    case 'ferretdb':
      return startFerretDb({ binary: prepared });
    case 'postgres':
      return startPostgres({ binDir: prepared });
  }
};

/** Forgets state entries whose process is gone (and removes their temp data). */
const pruneDead = (state: ServicesState): ServicesState => {
  const alive: ServicesState = {};
  for (const name of serviceNames) {
    const record = state[name];
    if (record === undefined) continue;
    if (isOurProcess(record.pid, record.dataDir)) alive[name] = record;
    else {
      progress(`${name}: recorded pid ${record.pid} is gone; forgetting it`);
      removeTempDir(record.dataDir);
    }
  }
  return alive;
};

export interface StartResult {
  readonly state: ServicesState;
  /** Servers this call started (the others were already running). */
  readonly started: readonly ServiceName[];
}

/**
 * Starts whichever of Kafka, FerretDB and PostgreSQL is not running yet, one after the other (2 cores: building FerretDB and
 * starting a JVM at once only slows both), records them in the state file and writes the env file.
 */
export const startServices = async (names: readonly ServiceName[] = serviceNames): Promise<StartResult> => {
  await sweepOrphans();
  let state = pruneDead(readState());
  writeState(state);
  const started: ServiceName[] = [];
  const prepared = new Map<ServiceName, string>();
  for (const name of names) if (state[name] === undefined) prepared.set(name, await prepare(name));
  try {
    for (const name of names) {
      const existing = state[name];
      if (existing !== undefined) {
        progress(`${name}: already running (pid ${existing.pid}) on ${existing.url}`);
        await waitUntil(() => serviceAnswers(existing), {
          what: `${name} on ${existing.url}`,
          timeoutMs: 30_000,
          abortIf: () => (isOurProcess(existing.pid, existing.dataDir) ? undefined : 'the process exited'),
          diagnostics: () => `log: ${existing.logPath}; "npm run services:stop" clears it`,
        });
        continue;
      }
      const record = await startOne(name, prepared.get(name));
      state = { ...state, [name]: record };
      writeState(state);
      started.push(name);
    }
  } catch (error) {
    // leave nothing half-started behind: stop what this call started, then report
    for (const name of started) {
      const record = state[name];
      if (record !== undefined) await stopService(record).catch(() => undefined);
      state = { ...state, [name]: undefined };
    }
    writeState(state);
    writeEnvFile(state);
    throw error;
  }
  writeEnvFile(state);
  return { state, started };
};

/** Stops the named servers (default: all recorded) and removes their temp data and state entries. */
export const stopServices = async (names: readonly ServiceName[] = serviceNames): Promise<void> => {
  await sweepOrphans();
  let state = readState();
  for (const name of names) {
    const record = state[name];
    if (record === undefined) continue;
    progress(`${name}: stopping pid ${record.pid}`);
    await stopService(record);
    state = { ...state, [name]: undefined };
    writeState(state);
  }
  writeEnvFile(state);
};

export interface ServiceStatus {
  readonly name: ServiceName;
  readonly record: ServiceRecord | undefined;
  readonly running: boolean;
  readonly answers: boolean;
  readonly error?: string;
}

export const servicesStatus = async (): Promise<ServiceStatus[]> => {
  const state = readState();
  return Promise.all(
    serviceNames.map(async (name): Promise<ServiceStatus> => {
      const record = state[name];
      if (record === undefined) return { name, record, running: false, answers: false };
      const running = isOurProcess(record.pid, record.dataDir);
      if (!running) return { name, record, running, answers: false };
      try {
        return { name, record, running, answers: await serviceAnswers(record) };
      } catch (error) {
        return { name, record, running, answers: false, error: errorMessage(error) };
      }
    }),
  );
};

export const printEnv = (state: ServicesState): void => {
  for (const line of envLines(state)) process.stdout.write(`${line}\n`);
  progress(`env written to ${envFile()}`);
};

/** Every services spec; the default .mocharc.json ignores these files, so they run with their own config. */
export const servicesSpecGlob =
  '{domain,ports,http,commands,projections,read-api,infra,app,dashboard,test}/**/*.services.spec.ts';

/** The separate mocha config for `*.services.spec.ts` (no `ignore` of them, longer timeout, `exit`). */
export const servicesMochaConfig = (): string => join(repoRoot(), 'tools', 'services', '.mocharc.services.json');

/** Runs mocha on every `*.services.spec.ts` with KAFKA_BROKERS, MONGODB_URL and POSTGRES_URL set; resolves mocha's exit code. */
export const runMocha = (state: ServicesState, extraArgs: readonly string[], timeoutMs: number): Promise<number> =>
  new Promise((resolveRun) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (state.kafka !== undefined) env.KAFKA_BROKERS = state.kafka.url;
    if (state.ferretdb !== undefined) env.MONGODB_URL = state.ferretdb.url;
    if (state.postgres !== undefined) env.POSTGRES_URL = state.postgres.url;
    const mochaBin = require.resolve('mocha/bin/mocha.js');
    // mocha adds CLI spec paths to a config's "spec", so the default glob is only given when no spec file was passed
    const specGiven = extraArgs.some((arg) => !arg.startsWith('-') && (arg.endsWith('.ts') || arg.includes('*')));
    const args = [mochaBin, '--config', servicesMochaConfig(), ...(specGiven ? [] : [servicesSpecGlob]), ...extraArgs];
    progress(
      `running mocha ${args.slice(1).join(' ')} (KAFKA_BROKERS=${env.KAFKA_BROKERS ?? '-'}, ` +
        `MONGODB_URL=${env.MONGODB_URL ?? '-'}, POSTGRES_URL=${env.POSTGRES_URL ?? '-'})`,
    );
    const child = spawn(process.execPath, args, { cwd: repoRoot(), env, stdio: 'inherit' });
    const started = Date.now();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      progress(`mocha still running after ${seconds(timeoutMs)}: stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }, timeoutMs);
    const forward = (sig: NodeJS.Signals): void => {
      child.kill(sig);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const done = (code: number): void => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolveRun(code);
    };
    child.once('error', (error) => {
      progress(`cannot run mocha: ${error.message}`);
      done(1);
    });
    child.once('exit', (code, sig) => {
      progress(
        `mocha finished in ${seconds(Date.now() - started)} with ${code === null ? `signal ${sig ?? '?'}` : `code ${code}`}`,
      );
      done(timedOut ? 124 : (code ?? 1));
    });
  });

/**
 * `test`: starts the servers that are not running, runs the services specs against them, stops what it started
 * (also on failure or interruption) and resolves mocha's exit code.
 */
export const runServiceTests = async (extraArgs: readonly string[], timeoutMs: number): Promise<number> => {
  let started: readonly ServiceName[] = [];
  const cleanup = async (): Promise<void> => {
    if (started.length === 0) return;
    progress(`stopping the servers this run started: ${started.join(', ')}`);
    await stopServices(started);
    started = [];
  };
  try {
    const result = await startServices();
    started = result.started;
    return await runMocha(result.state, extraArgs, timeoutMs);
  } finally {
    await sweepOrphans();
    await cleanup();
  }
};
