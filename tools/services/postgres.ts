import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { errorMessage, progress, seconds } from './log';
import { servicesDir } from './paths';
import { isOurProcess, portFromEnv, removeTempDir, runCommand, stopProcess, tailFile, waitUntil } from './proc';
import type { ServiceRecord } from './state';

type Env = Readonly<Record<string, string | undefined>>;

const postgresRoot = '/usr/lib/postgresql';
/** The OS user the server runs as when the harness runs as root (PostgreSQL refuses to run as root). */
const serverUser = 'postgres';

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** `/usr/lib/postgresql/<newest version>/bin` when it holds initdb, pg_ctl and postgres. */
const findBinDir = (): string | undefined => {
  if (!existsSync(postgresRoot)) return undefined;
  const versions = readdirSync(postgresRoot)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => b - a);
  for (const version of versions) {
    const bin = join(postgresRoot, String(version), 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((tool) => existsSync(join(bin, tool)))) return bin;
  }
  return undefined;
};

/**
 * The PostgreSQL binaries folder, installing Debian's `postgresql` package with apt-get when it is missing (CI runs
 * as root on a possibly fresh machine). Not root and not installed: a clear error saying what to install.
 */
export const ensurePostgresBinaries = async (env: Env = process.env): Promise<string> => {
  const found = findBinDir();
  if (found !== undefined) {
    progress(`postgres: binaries in ${found}`);
    return found;
  }
  if (!isRoot()) {
    throw new Error(
      `PostgreSQL is not installed (no ${postgresRoot}/<version>/bin/initdb). Install Debian's package as root: ` +
        '"apt-get update && apt-get install -y postgresql", then run this again.',
    );
  }
  const logFile = join(servicesDir(env), 'postgres-apt.log');
  const aptEnv: NodeJS.ProcessEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const started = Date.now();
  progress('postgres: not installed; "apt-get update" then "apt-get install -y postgresql" (Debian package)');
  await runCommand('apt-get', ['update'], {
    cwd: tmpdir(),
    env: aptEnv,
    logFile,
    timeoutMs: 10 * 60_000,
    label: 'apt-get update',
  });
  await runCommand('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], {
    cwd: tmpdir(),
    env: aptEnv,
    logFile,
    timeoutMs: Number(env.COMMERCE_APT_TIMEOUT_MS ?? 15 * 60_000),
    label: 'apt-get install postgresql',
    onLine: (line) => (line.startsWith('Setting up postgresql') ? line : undefined),
  });
  const bin = findBinDir();
  if (bin === undefined) throw new Error(`apt-get installed postgresql but ${postgresRoot}/<version>/bin is missing`);
  progress(`postgres: installed in ${seconds(Date.now() - started)} (${bin})`);
  return bin;
};

/** uid and gid of the `postgres` OS user, creating it (a system user without login) when missing. */
const ensureServerUser = (): { readonly uid: number; readonly gid: number } => {
  const lookup = (): { readonly uid: number; readonly gid: number } | undefined => {
    const uid = spawnSync('id', ['-u', serverUser], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', serverUser], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  const existing = lookup();
  if (existing !== undefined) return existing;
  progress(`postgres: creating the system user "${serverUser}" to run the server as`);
  const created = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', serverUser], {
    encoding: 'utf8',
  });
  const after = lookup();
  if (after === undefined) throw new Error(`cannot create the OS user "${serverUser}": ${created.stderr.trim()}`);
  return after;
};

/** `[command, args]` that runs a PostgreSQL tool as the server user (root) or as ourselves (anyone else). */
const asServerUser = (bin: string, tool: string, args: readonly string[]): [string, string[]] =>
  isRoot() ? ['runuser', ['-u', serverUser, '--', join(bin, tool), ...args]] : [join(bin, tool), [...args]];

export const postgresUrl = (port: number): string => `postgresql://postgres@127.0.0.1:${port}/postgres`;

/** True when `SELECT 1` succeeds within `timeoutMs`. */
export const postgresAnswers = async (url: string, timeoutMs = 3_000): Promise<boolean> => {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: 'commerce-services-probe',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ one: number }>('SELECT 1 AS one');
    return result.rows[0]?.one === 1;
  } finally {
    await client.end().catch(() => undefined);
  }
};

/** The postmaster's pid from `postmaster.pid` (its first line), or undefined while the file is not there. */
const postmasterPid = (pgData: string): number | undefined => {
  try {
    const pid = Number(readFileSync(join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** Where the cluster lives inside a record's temporary folder. */
const clusterDir = (dataDir: string): string => join(dataDir, 'pgdata');

/** Server settings for a throwaway test cluster: loopback only, the socket in the temp folder, room for pools. */
const serverOptions = (port: number, dataDir: string): string =>
  [
    `-h 127.0.0.1`,
    `-p ${port}`,
    `-k ${dataDir}`,
    '-c max_connections=300',
    '-c shared_buffers=128MB',
    '-c log_min_messages=warning',
    '-c log_line_prefix=%m[%p]',
  ].join(' ');

/**
 * `pg_ctl start` of the cluster in `dataDir` (as the server user), then waits until `SELECT 1` answers on 127.0.0.1;
 * answers the postmaster's pid. The server log `logPath` is appended to.
 */
const pgCtlStart = async (
  bin: string,
  dataDir: string,
  port: number,
  logPath: string,
  env: Env,
  readyTimeoutMs: number | undefined,
): Promise<number> => {
  const pgData = clusterDir(dataDir);
  progress(`postgres: starting on 127.0.0.1:${port} (data ${pgData}), log ${logPath}`);
  const started = Date.now();
  const [startCommand, startArgs] = asServerUser(bin, 'pg_ctl', [
    '-D',
    pgData,
    '-l',
    logPath,
    '-o',
    serverOptions(port, dataDir),
    '-w',
    '-t',
    String(Math.ceil((readyTimeoutMs ?? Number(env.COMMERCE_POSTGRES_READY_TIMEOUT_MS ?? 60_000)) / 1000)),
    'start',
  ]);
  await runCommand(startCommand, startArgs, {
    cwd: tmpdir(),
    logFile: join(servicesDir(env), 'postgres-pg_ctl.log'),
    timeoutMs: 120_000,
    label: 'pg_ctl start',
  });
  const pid = postmasterPid(pgData);
  if (pid === undefined) throw new Error(`pg_ctl started the server but ${pgData}/postmaster.pid has no pid`);
  const url = postgresUrl(port);
  await waitUntil(() => postgresAnswers(url), {
    what: `postgres on ${url}`,
    timeoutMs: 30_000,
    intervalMs: 200,
    abortIf: () => (isOurProcess(pid, dataDir) ? undefined : 'the postmaster exited'),
    diagnostics: () => `--- last lines of ${logPath} ---\n${tailFile(logPath, 40)}`,
  });
  progress(`postgres: ready on ${url} (pid ${pid}) in ${seconds(Date.now() - started)}`);
  return pid;
};

export interface StartPostgresOptions {
  /** Listen port; default `$POSTGRES_PORT`, else a free port. */
  readonly port?: number;
  /** Server log; default `.cache/services/postgres.log`. */
  readonly logPath?: string;
  readonly readyTimeoutMs?: number;
  /** The binaries folder from `ensurePostgresBinaries` (default: ensure it now). */
  readonly binDir?: string | undefined;
  readonly env?: Env;
}

/**
 * Starts a throwaway PostgreSQL cluster: `initdb -A trust -U postgres` in a fresh temporary folder owned by the
 * `postgres` OS user, then `pg_ctl start` as that user (via `runuser` when we are root), listening on 127.0.0.1 only,
 * and waits until `SELECT 1` answers. The record's pid is the postmaster's. On any failure the server is stopped and
 * the folder removed.
 */
export const startPostgres = async (options: StartPostgresOptions = {}): Promise<ServiceRecord> => {
  const env = options.env ?? process.env;
  const bin = options.binDir ?? (await ensurePostgresBinaries(env));
  const port = options.port ?? (await portFromEnv('POSTGRES_PORT', env));
  const dataDir = mkdtempSync(join(tmpdir(), 'commerce-postgres-'));
  const pgData = clusterDir(dataDir);
  const logPath = options.logPath ?? join(servicesDir(env), 'postgres.log');
  let launched = false;
  try {
    mkdirSync(servicesDir(env), { recursive: true });
    writeFileSync(logPath, '');
    if (isRoot()) {
      const { uid, gid } = ensureServerUser();
      chownSync(dataDir, uid, gid);
      chownSync(logPath, uid, gid); // pg_ctl -l opens the log as the server user
    }
    progress(`postgres: initdb in ${pgData}`);
    const [initCommand, initArgs] = asServerUser(bin, 'initdb', [
      '-D',
      pgData,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await runCommand(initCommand, initArgs, {
      cwd: tmpdir(),
      logFile: join(servicesDir(env), 'postgres-initdb.log'),
      timeoutMs: 120_000,
      label: 'initdb',
    });
    launched = true;
    const pid = await pgCtlStart(bin, dataDir, port, logPath, env, options.readyTimeoutMs);
    const url = postgresUrl(port);
    return { name: 'postgres', pid, port, dataDir, logPath, url, startedAt: new Date().toISOString() };
  } catch (error) {
    if (launched) await stopPostgres({ dataDir, pid: postmasterPid(pgData) ?? 0, name: 'postgres' }, bin);
    removeTempDir(dataDir);
    throw new Error(`postgres did not start: ${errorMessage(error)}\n--- ${logPath} ---\n${tailFile(logPath, 20)}`);
  }
};

/**
 * Stops a cluster this harness started with `pg_ctl stop -m fast` (sessions are cut, the server checkpoints and
 * exits); if that fails or is not possible, SIGTERM/SIGKILL of the postmaster like every other server. Bounded.
 */
export const stopPostgres = async (
  record: Pick<ServiceRecord, 'dataDir' | 'pid' | 'name'>,
  binDir: string | undefined = findBinDir(),
): Promise<void> => {
  const pgData = clusterDir(record.dataDir);
  if (binDir !== undefined && existsSync(join(pgData, 'postmaster.pid'))) {
    const [command, args] = asServerUser(binDir, 'pg_ctl', ['-D', pgData, 'stop', '-m', 'fast', '-w', '-t', '20']);
    const started = Date.now();
    const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
    if (result.status === 0) {
      progress(`postgres (pid ${record.pid}) stopped by pg_ctl in ${seconds(Date.now() - started)}`);
      return;
    }
    progress(`postgres: pg_ctl stop failed (${(result.stderr || result.stdout).trim()}); signalling the postmaster`);
  }
  if (record.pid > 1) await stopProcess(record.pid, record.dataDir, record.name, 10_000);
};

/**
 * Starts again, on the same port, a cluster that `startPostgres` created and `stopPostgres` stopped: `pg_ctl start` on
 * its data folder (no initdb: every database, schema and row is still there), appending to the same log. Answers the
 * record with the new postmaster's pid. For specs that restart the server mid-load.
 */
export const startPostgresAgain = async (
  record: ServiceRecord,
  options: Pick<StartPostgresOptions, 'binDir' | 'env' | 'readyTimeoutMs'> = {},
): Promise<ServiceRecord> => {
  const env = options.env ?? process.env;
  const bin = options.binDir ?? (await ensurePostgresBinaries(env));
  if (!existsSync(join(clusterDir(record.dataDir), 'PG_VERSION'))) {
    throw new Error(`postgres: no cluster in ${clusterDir(record.dataDir)} to start again`);
  }
  try {
    const pid = await pgCtlStart(bin, record.dataDir, record.port, record.logPath, env, options.readyTimeoutMs);
    return { ...record, pid, startedAt: new Date().toISOString() };
  } catch (error) {
    throw new Error(
      `postgres did not start again: ${errorMessage(error)}\n--- ${record.logPath} ---\n${tailFile(record.logPath, 20)}`,
    );
  }
};
