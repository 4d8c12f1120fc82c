import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SagaSettings } from '../../commands/sagas/config';
import type { Clock } from '../../ports/clock';
import type { DeadLetterStore } from '../../ports/dead-letters';
import type { SagaStateStore } from '../../ports/saga-state';
import { openSqliteDeadLetterStore } from '../../infra/sqlite/sqlite-dead-letter-store';
import { openSqliteSagaStateStore } from '../../infra/sqlite/sqlite-saga-state-store';
import type { WalDatabaseOptions } from '../../infra/sqlite/database';
import type { Config } from '../config';

/**
 * Where saga state (timers, the dispatch log) and dead letters live: in the event store's own database. On
 * PostgreSQL they are tables in its schema, which every saga runner of a group shares, so any runner continues any
 * saga; otherwise SQLite files under DATA_DIR (SAGA_DB_PATH, DEAD_LETTER_DB_PATH) that one runner owns.
 */
const sharedStoreUrl = (config: Config): string | undefined =>
  config.eventStore === 'postgres' ? config.postgresUrl : undefined;

export const sharedSagaStores = (config: Config): boolean => sharedStoreUrl(config) !== undefined;

export const openDeadLetterStore = async (
  config: Config,
  settings: SagaSettings,
  clock: Clock,
): Promise<DeadLetterStore> => {
  const url = sharedStoreUrl(config);
  if (url !== undefined) {
    const { openPgDeadLetterStore } =
      require('../../infra/postgres/pg-dead-letter-store') as typeof import('../../infra/postgres/pg-dead-letter-store');
    return openPgDeadLetterStore({ url, schema: config.postgresEventSchema, clock });
  }
  if (settings.deadLetterPath !== ':memory:') mkdirSync(dirname(settings.deadLetterPath), { recursive: true });
  return openSqliteDeadLetterStore(settings.deadLetterPath, clock);
};

export const openSagaStateStore = async (
  config: Config,
  settings: SagaSettings,
  files: WalDatabaseOptions = {},
): Promise<SagaStateStore> => {
  const url = sharedStoreUrl(config);
  if (url !== undefined) {
    const { openPgSagaStateStore } =
      require('../../infra/postgres/pg-saga-state-store') as typeof import('../../infra/postgres/pg-saga-state-store');
    return openPgSagaStateStore({ url, schema: config.postgresEventSchema });
  }
  if (settings.statePath !== ':memory:') mkdirSync(dirname(settings.statePath), { recursive: true });
  return openSqliteSagaStateStore(settings.statePath, files);
};
