import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import type { EventStore } from '../../ports/event-store';
import { openSqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { openEsdbEventStore } from '../../infra/eventstoredb/esdb-event-store';
import { openPgEventStore } from '../../infra/postgres/pg-event-store';

/** Picks the event store adapter from configuration (EVENT_STORE). */
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
      const store = openEsdbEventStore({ connectionString: config.eventStoreUrl });
      await store.headPosition();
      return store;
    }
    case 'postgres': {
      if (config.postgresUrl === undefined) throw new Error('POSTGRES_URL is required for EVENT_STORE=postgres');
      logger.info({ schema: config.postgresEventSchema }, 'event store: PostgreSQL');
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
