import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import type { ReadStore } from '../../ports/read-store';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';

/** Picks the read store adapter from configuration (READ_STORE); only the chosen one's driver is loaded. */
export const openReadStore = async (
  config: Config,
  logger: Logger,
  sqlite: { readonly autoCheckpoint?: boolean } = {},
): Promise<ReadStore> => {
  switch (config.readStore) {
    case 'sqlite':
      if (config.readSqlitePath !== ':memory:') mkdirSync(dirname(config.readSqlitePath), { recursive: true });
      logger.info({ path: config.readSqlitePath }, 'read store: SQLite');
      return openSqliteReadStore({ path: config.readSqlitePath, ...sqlite });
    case 'mongodb': {
      if (config.mongodbUrl === undefined) throw new Error('MONGODB_URL is required for READ_STORE=mongodb');
      logger.info({ database: config.mongodbDatabase }, 'read store: MongoDB');
      const { openMongoReadStore } =
        require('../../infra/mongodb/mongo-read-store') as typeof import('../../infra/mongodb/mongo-read-store');
      return openMongoReadStore({ url: config.mongodbUrl, database: config.mongodbDatabase });
    }
    case 'postgres': {
      if (config.postgresUrl === undefined) throw new Error('POSTGRES_URL is required for READ_STORE=postgres');
      logger.info({ schema: config.postgresReadSchema }, 'read store: PostgreSQL');
      const { openPgReadStore } =
        require('../../infra/postgres/pg-read-store') as typeof import('../../infra/postgres/pg-read-store');
      return openPgReadStore({
        url: config.postgresUrl,
        schema: config.postgresReadSchema,
        onIdleError: (error) => {
          logger.warn({ error: error.message }, 'read store: an idle PostgreSQL connection failed');
        },
      });
    }
  }
};
