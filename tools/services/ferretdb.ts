import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { errorMessage, progress, seconds } from './log';
import { ferretDbCacheDir, ferretDbVersion, servicesDir } from './paths';
import {
  isOurProcess,
  portFromEnv,
  removeTempDir,
  runCommand,
  spawnDaemon,
  stopProcess,
  tailFile,
  waitUntil,
} from './proc';
import type { ServiceRecord } from './state';

type Env = Readonly<Record<string, string | undefined>>;

const ferretDbModule = 'github.com/FerretDB/FerretDB';

export const ferretDbBinaryPath = (env: Env = process.env): string => join(ferretDbCacheDir(env), 'bin', 'ferretdb');

const binaryIsUsable = (bin: string): boolean => {
  if (!existsSync(bin)) return false;
  const result = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return result.status === 0 && result.stdout.includes(`version: ${ferretDbVersion}`);
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface DownloadedModule {
  readonly dir: string;
  readonly commit: string | undefined;
}

/** Parses the JSON printed by `go mod download -json <module>@<version>`. */
const parseModuleDownload = (output: string): DownloadedModule => {
  const json = output.slice(output.indexOf('{'), output.lastIndexOf('}') + 1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`unexpected output of "go mod download -json": ${output.slice(0, 500)}`);
  }
  if (!isRecord(parsed)) throw new Error('unexpected output of "go mod download -json"');
  if (typeof parsed.Error === 'string') throw new Error(`go mod download: ${parsed.Error}`);
  if (typeof parsed.Dir !== 'string') throw new Error('go mod download printed no module folder');
  const origin = parsed.Origin;
  const commit = isRecord(origin) && typeof origin.Hash === 'string' ? origin.Hash : undefined;
  return { dir: parsed.Dir, commit };
};

/** The Go module cache is read-only; the copy must be writable to add the generated version files. */
const makeWritable = (path: string): void => {
  const stats = statSync(path);
  chmodSync(path, stats.isDirectory() ? 0o755 : 0o644);
  if (stats.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
};

/**
 * Makes sure `<cache>/ferretdb-v1.24.2/bin/ferretdb` exists, building it from the Go module proxy on first use.
 *
 * Why not `go install …/cmd/ferretdb@v1.24.2`: (1) `go install pkg@version` first lists the module's versions
 * (`/@v/list`) to look for deprecations, which a proxy that serves only pinned versions refuses (403), and (2) a
 * binary built that way panics at start-up, because FerretDB's `build/version/version.txt` is generated at release
 * time and is not part of the module zip. So: `go mod download` the exact version, copy the source, write the
 * version files, `go build ./cmd/ferretdb`.
 */
export const ensureFerretDbBinary = async (env: Env = process.env): Promise<string> => {
  const bin = ferretDbBinaryPath(env);
  if (binaryIsUsable(bin)) {
    progress(`ferretdb ${ferretDbVersion}: binary cached at ${bin}`);
    return bin;
  }
  const goCheck = spawnSync('go', ['version'], { encoding: 'utf8', timeout: 30_000 });
  if (goCheck.error !== undefined || goCheck.status !== 0) {
    throw new Error('Go 1.24+ is needed to build FerretDB: "go version" failed. Install Go and put it on PATH.');
  }
  const dir = ferretDbCacheDir(env);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  const goEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    GOWORK: 'off',
    GO111MODULE: 'on',
    GOFLAGS: '-buildvcs=false',
  };
  const started = Date.now();
  progress(`ferretdb ${ferretDbVersion}: downloading ${ferretDbModule}@${ferretDbVersion} from the Go module proxy`);
  const downloadOutput = await runCommand('go', ['mod', 'download', '-json', `${ferretDbModule}@${ferretDbVersion}`], {
    cwd: dir,
    env: goEnv,
    logFile: join(dir, 'go-download.log'),
    timeoutMs: 10 * 60_000,
    label: 'go mod download',
  });
  const downloaded = parseModuleDownload(downloadOutput);
  const src = join(dir, `src.${process.pid}`);
  rmSync(src, { recursive: true, force: true });
  cpSync(downloaded.dir, src, { recursive: true });
  makeWritable(src);
  writeFileSync(join(src, 'build', 'version', 'version.txt'), `${ferretDbVersion}\n`);
  if (downloaded.commit !== undefined)
    writeFileSync(join(src, 'build', 'version', 'commit.txt'), `${downloaded.commit}\n`);
  writeFileSync(join(src, 'build', 'version', 'package.txt'), 'commerce-engine\n');
  const partial = `${bin}.${process.pid}.partial`;
  progress(`ferretdb ${ferretDbVersion}: compiling (a cold Go cache takes a few minutes on 2 cores)`);
  let modules = 0;
  try {
    await runCommand('go', ['build', '-trimpath', '-o', partial, './cmd/ferretdb'], {
      cwd: src,
      env: goEnv,
      logFile: join(dir, 'go-build.log'),
      timeoutMs: Number(env.COMMERCE_GO_BUILD_TIMEOUT_MS ?? 20 * 60_000),
      label: 'go build ferretdb',
      onLine: (line) => {
        if (!line.startsWith('go: downloading')) return line.trim() === '' ? undefined : line;
        modules += 1;
        return modules % 20 === 0 ? `${modules} modules downloaded` : undefined;
      },
      heartbeat: () => `${modules} modules downloaded`,
    });
    renameSync(partial, bin);
  } finally {
    rmSync(partial, { force: true });
    rmSync(src, { recursive: true, force: true });
  }
  if (!binaryIsUsable(bin)) throw new Error(`built ${bin} but "${bin} --version" does not report ${ferretDbVersion}`);
  progress(`ferretdb ${ferretDbVersion}: built in ${seconds(Date.now() - started)}`);
  return bin;
};

/** True when a `mongodb` driver `ping` succeeds within `timeoutMs`. */
export const ferretDbAnswers = async (url: string, timeoutMs = 3_000): Promise<boolean> => {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
    appName: 'commerce-services-probe',
  });
  try {
    const reply = await client.db('admin').command({ ping: 1 });
    return reply.ok === 1;
  } finally {
    await client.close().catch(() => undefined);
  }
};

export interface StartFerretDbOptions {
  /** Listen port; default `$FERRETDB_PORT`, else a free port. */
  readonly port?: number;
  /** Server log; default `.cache/services/ferretdb.log`. */
  readonly logPath?: string;
  readonly readyTimeoutMs?: number;
  /** The binary from `ensureFerretDbBinary` (default: ensure it now). */
  readonly binary?: string | undefined;
  readonly env?: Env;
}

/**
 * Starts FerretDB (SQLite backend, data in a fresh temporary folder) on 127.0.0.1 and waits until a driver `ping`
 * succeeds. On any failure the process is stopped and the folder removed.
 */
export const startFerretDb = async (options: StartFerretDbOptions = {}): Promise<ServiceRecord> => {
  const env = options.env ?? process.env;
  const bin = options.binary ?? (await ensureFerretDbBinary(env));
  const port = options.port ?? (await portFromEnv('FERRETDB_PORT', env));
  const dataDir = mkdtempSync(join(tmpdir(), 'commerce-ferretdb-'));
  const logPath = options.logPath ?? join(servicesDir(env), 'ferretdb.log');
  let pid: number | undefined;
  try {
    mkdirSync(join(dataDir, 'sqlite'));
    mkdirSync(join(dataDir, 'state'));
    writeFileSync(logPath, '');
    progress(`ferretdb: starting on 127.0.0.1:${port} (data ${dataDir}), log ${logPath}`);
    const started = Date.now();
    const daemonPid = await spawnDaemon(
      bin,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${join(dataDir, 'sqlite')}/`,
        `--listen-addr=127.0.0.1:${port}`,
        `--state-dir=${join(dataDir, 'state')}`,
        '--telemetry=disable',
        '--debug-addr=-',
        '--log-level=INFO',
        '--log-format=console',
      ],
      { cwd: dataDir, logFile: logPath },
    );
    pid = daemonPid;
    const url = `mongodb://127.0.0.1:${port}/`;
    await waitUntil(() => ferretDbAnswers(url), {
      what: `ferretdb on ${url}`,
      timeoutMs: options.readyTimeoutMs ?? Number(env.COMMERCE_FERRETDB_READY_TIMEOUT_MS ?? 30_000),
      intervalMs: 200,
      abortIf: () => (isOurProcess(daemonPid, dataDir) ? undefined : 'the ferretdb process exited'),
      diagnostics: () => `--- last lines of ${logPath} ---\n${tailFile(logPath, 40)}`,
    });
    progress(`ferretdb: ready on ${url} (pid ${daemonPid}) in ${seconds(Date.now() - started)}`);
    return { name: 'ferretdb', pid: daemonPid, port, dataDir, logPath, url, startedAt: new Date().toISOString() };
  } catch (error) {
    if (pid !== undefined) await stopProcess(pid, dataDir, 'ferretdb', 5_000);
    removeTempDir(dataDir);
    throw new Error(`ferretdb did not start: ${errorMessage(error)}`);
  }
};
