import type pg from 'pg';
import { migrateSchema } from './pg-migrate';

/** Names of the event store's objects in its schema; the schema name is checked, so it can be spliced into SQL. */
export interface EventTables {
  readonly schema: string;
  readonly events: string;
  readonly commands: string;
  readonly checkpoints: string;
  readonly head: string;
  /** the NOTIFY channel an append commits a message on */
  readonly channel: string;
}

export const DEFAULT_EVENT_SCHEMA = 'event_store';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,50}$/;

export const quoteIdentifier = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

export const eventTables = (schema: string): EventTables => {
  if (!SCHEMA_NAME.test(schema)) {
    throw new RangeError(`event store schema "${schema}": expected a lowercase identifier ([a-z_][a-z0-9_]*, ≤ 51)`);
  }
  const q = quoteIdentifier(schema);
  return {
    schema,
    events: `${q}.events`,
    commands: `${q}.commands`,
    checkpoints: `${q}.checkpoints`,
    head: `${q}.log_head`,
    channel: `${schema}_appended`,
  };
};

/**
 * `log_head` is one row holding the position of the last event. Every append locks it first and moves it in the same
 * transaction, so appends commit one after the other in the order of their positions (docs/adr/0013-…). Events are
 * stored as `json` (the text as appended): the store never looks inside them, `json` keeps every string JSON can
 * carry (jsonb refuses \u0000) and costs no conversion on the way in or out.
 */
const ddl = (t: EventTables): string => `
  CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(t.schema)};
  CREATE TABLE IF NOT EXISTS ${t.events} (
    position  bigint PRIMARY KEY,
    stream_id text   NOT NULL,
    revision  bigint NOT NULL,
    event_id  text   NOT NULL,
    type      text   NOT NULL,
    data      json   NOT NULL,
    metadata  json   NOT NULL,
    UNIQUE (stream_id, revision)
  );
  CREATE TABLE IF NOT EXISTS ${t.commands} (
    command_id text   PRIMARY KEY,
    stream_id  text   NOT NULL,
    revision   bigint NOT NULL,
    position   bigint NOT NULL
  );
  CREATE TABLE IF NOT EXISTS ${t.checkpoints} (
    name     text   PRIMARY KEY,
    position bigint NOT NULL
  );
  CREATE TABLE IF NOT EXISTS ${t.head} (
    id       int    PRIMARY KEY CHECK (id = 1),
    position bigint NOT NULL
  );
  INSERT INTO ${t.head} (id, position) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
  -- event ids are unique within their stream (ADR 0024): a schema made before loses its log-wide index
  DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = '${t.events}'::regclass AND conname = 'events_event_id_key')
    THEN ALTER TABLE ${t.events} DROP CONSTRAINT events_event_id_key;
    END IF;
  END $$;
`;

/**
 * Creates the schema when missing. Processes that start together (serve and its workers) take a transaction-level
 * advisory lock first: concurrent `CREATE … IF NOT EXISTS` of the same object can still fail on a unique index.
 */
export const migrateEventSchema = (pool: pg.Pool, tables: EventTables): Promise<void> =>
  migrateSchema(pool, tables.schema, ddl(tables));
