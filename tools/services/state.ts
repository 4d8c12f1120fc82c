import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { servicesDir } from './paths';

export type ServiceName = 'kafka' | 'ferretdb' | 'postgres';
export const serviceNames: readonly ServiceName[] = ['kafka', 'ferretdb', 'postgres'];

/** One server this harness started. */
export interface ServiceRecord {
  readonly name: ServiceName;
  readonly pid: number;
  readonly port: number;
  /** Temporary folder with the server's data and config; also the marker that identifies its process. */
  readonly dataDir: string;
  readonly logPath: string;
  /** `127.0.0.1:<port>` for Kafka, `mongodb://127.0.0.1:<port>/` for FerretDB, `postgresql://…` for PostgreSQL. */
  readonly url: string;
  readonly startedAt: string;
}

export type ServicesState = Partial<Record<ServiceName, ServiceRecord>>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parseRecord = (name: ServiceName, value: unknown): ServiceRecord | undefined => {
  if (!isRecord(value)) return undefined;
  const { pid, port, dataDir, logPath, url, startedAt } = value;
  if (
    typeof pid !== 'number' ||
    typeof port !== 'number' ||
    typeof dataDir !== 'string' ||
    typeof logPath !== 'string' ||
    typeof url !== 'string' ||
    typeof startedAt !== 'string'
  ) {
    return undefined;
  }
  return { name, pid, port, dataDir, logPath, url, startedAt };
};

export const stateFile = (): string => join(servicesDir(), 'state.json');
export const envFile = (): string => join(servicesDir(), 'env');

export const readState = (): ServicesState => {
  const file = stateFile();
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  if (!isRecord(parsed)) return {};
  const state: ServicesState = {};
  for (const name of serviceNames) {
    const record = parseRecord(name, parsed[name]);
    if (record !== undefined) state[name] = record;
  }
  return state;
};

export const writeState = (state: ServicesState): void => {
  const dir = servicesDir();
  mkdirSync(dir, { recursive: true });
  const file = stateFile();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
};

/** Env lines for the servers in `state` (KAFKA_BROKERS, MONGODB_URL, POSTGRES_URL). */
export const envLines = (state: ServicesState): string[] => [
  ...(state.kafka === undefined ? [] : [`KAFKA_BROKERS=${state.kafka.url}`]),
  ...(state.ferretdb === undefined ? [] : [`MONGODB_URL=${state.ferretdb.url}`]),
  ...(state.postgres === undefined ? [] : [`POSTGRES_URL=${state.postgres.url}`]),
];

export const writeEnvFile = (state: ServicesState): void => {
  const lines = envLines(state);
  if (lines.length === 0) {
    rmSync(envFile(), { force: true });
    return;
  }
  mkdirSync(servicesDir(), { recursive: true });
  writeFileSync(envFile(), `${lines.join('\n')}\n`);
};

/**
 * Servers a test starts for itself (e.g. a FerretDB it kills on purpose) are recorded with their owner's pid, so that
 * the harness can stop them if the owner dies before its cleanup ran (Ctrl-C, mocha timeout).
 */
export interface OwnedService {
  readonly ownerPid: number;
  readonly record: ServiceRecord;
}

const ownedDir = (): string => join(servicesDir(), 'owned');

export const recordOwned = (record: ServiceRecord, ownerPid: number = process.pid): void => {
  mkdirSync(ownedDir(), { recursive: true });
  writeFileSync(join(ownedDir(), `${record.pid}.json`), `${JSON.stringify({ ownerPid, record }, null, 2)}\n`);
};

export const forgetOwned = (record: ServiceRecord): void => {
  rmSync(join(ownedDir(), `${record.pid}.json`), { force: true });
};

export const listOwned = (): OwnedService[] => {
  const dir = ownedDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      try {
        const parsed: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
        if (!isRecord(parsed) || typeof parsed.ownerPid !== 'number' || !isRecord(parsed.record)) return [];
        const name = parsed.record.name;
        if (name !== 'kafka' && name !== 'ferretdb' && name !== 'postgres') return [];
        const record = parseRecord(name, parsed.record);
        return record === undefined ? [] : [{ ownerPid: parsed.ownerPid, record }];
      } catch {
        return [];
      }
    });
};
