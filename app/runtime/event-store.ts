import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import type { EventStore } from '../../ports/event-store';
import { openSqliteEventStore } from '../../infra/sqlite/sqlite-event-store';

/** Picks the event store adapter from configuration (EVENT_STORE); only the chosen one's driver is loaded. */
export const openEventStore = async (config: Config, logger: Logger): Promise<EventStore> => {
  switch (config.eventStore) {
    case 'sqlite': {
      if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
      logger.info({ path: config.sqlitePath, synchronous: config.sqliteSynchronous }, 'event store: SQLite');
      return openSqliteEventStore({ path: config.sqlitePath, synchronous: config.sqliteSynchronous });
    }
    case 'eventstoredb': {
      if (config.eventStoreUrl === undefined)
        throw new Error('EVENTSTORE_URL is required for EVENT_STORE=eventstoredb');
      logger.info('event store: EventStoreDB');
      const { openEsdbEventStore } =
        require('../../infra/eventstoredb/esdb-event-store') as typeof import('../../infra/eventstoredb/esdb-event-store');
      const store = openEsdbEventStore({ connectionString: config.eventStoreUrl });
      await store.headPosition();
      return store;
    }
    case 'postgres': {
      if (config.postgresUrl === undefined) throw new Error('POSTGRES_URL is required for EVENT_STORE=postgres');
      logger.info({ schema: config.postgresEventSchema }, 'event store: PostgreSQL');
      const { openPgEventStore } =
        require('../../infra/postgres/pg-event-store') as typeof import('../../infra/postgres/pg-event-store');
      return openPgEventStore({
        url: config.postgresUrl,
        schema: config.postgresEventSchema,
        onIdleError: (error) => {
          logger.warn({ err: error }, 'event store: an idle PostgreSQL connection failed');
        },
      });
    }
  }
};
