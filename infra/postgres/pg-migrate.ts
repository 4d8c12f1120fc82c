import type pg from 'pg';
import { checkOut } from './pg-checkout';

/** SQLSTATEs of two sessions creating the same object at once: the loser fails on a catalog's unique index. */
const RACE_STATES = new Set(['23505', '42P06', '42P07', '42710']);

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * Runs `ddl` (`CREATE … IF NOT EXISTS` statements) in one transaction under an advisory lock on the schema's name.
 * Every store of this engine that keeps tables in a schema (event store, saga state, dead letters) takes the same
 * lock, so processes starting together do not race on the catalogs; something else creating the same object at that
 * moment can still win, and the loser tries once more. A checked-out client's connection error must be heard (or it
 * ends the process): the query under way fails with it, and the client is released as broken.
 */
export const migrateSchema = async (pool: pg.Pool, schema: string, ddl: string): Promise<void> => {
  for (let attempt = 1; ; attempt++) {
    const { client, release } = await checkOut(pool);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`commerce-engine-schema:${schema}`]);
      await client.query(ddl);
      await client.query('COMMIT');
      return;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: unknown) => {
        broken = toError(rollback);
      });
      const state = (error as { code?: unknown }).code;
      if (attempt >= 2 || typeof state !== 'string' || !RACE_STATES.has(state)) throw toError(error);
    } finally {
      release(broken);
    }
  }
};
