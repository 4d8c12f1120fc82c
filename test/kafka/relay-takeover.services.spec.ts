import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Admin, Kafka } from 'kafkajs';
import { openPgEventStore, type PgEventStore } from '../../infra/postgres/pg-event-store';
import { Topics } from '../../infra/kafka/topics';
import { pgLeases } from '../../infra/postgres/pg-lease';
import type { RecordedEvent } from '../../ports/event-store';
import { startEngineProcess, type EngineProcess } from '../../tools/services/engine-process';
import { postgresSchemas } from '../postgres-schemas';
import {
  anEvent,
  countBy,
  deleteTopics,
  eventually,
  readTopics,
  streamIds,
  testKafka,
  uniquePrefix,
} from './kafka-test-kit';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite through npm run test:services`);
  return value;
};

const holds = (relay: EngineProcess): boolean =>
  readFileSync(relay.logFile, 'utf8').includes('"msg":"relay holds the lease"');

describe('the relay on PostgreSQL: one active, a standby that takes over', function () {
  this.timeout(180_000);
  const schemas = postgresSchemas('lease');

  describe('the lease', () => {
    it('is held by one holder at a time, and passes on when the holder releases it or its connection ends', async () => {
      const leases = pgLeases({ url: schemas.url, retryMs: 50 });
      const name = `test-${Date.now().toString(36)}`;
      const first = await leases.acquire(name);
      let second = false;
      const waiting = leases.acquire(name).then((lease) => {
        second = true;
        return lease;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(second, 'a second holder while the first holds it').to.equal(false);
      await first.release();
      const next = await waiting;
      expect(second).to.equal(true);
      // the server ends the holder's session: the lease is lost, and a standby gets it
      const third = leases.acquire(name);
      await schemas
        .admin()
        .query(
          "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()",
        );
      await next.lost;
      await (await third).release();
    });
  });

  it('publishes every event once across a SIGKILL of the active relay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'commerce-relay-lease-'));
    const schema = schemas.next();
    const topics = new Topics(uniquePrefix('lease'));
    const kafka: Kafka = testKafka('lease');
    const admin: Admin = kafka.admin();
    await admin.connect();
    const store: PgEventStore = await openPgEventStore({ url: schemas.url, schema });
    const relays: EngineProcess[] = [];
    const env = {
      EVENT_STORE: 'postgres',
      POSTGRES_URL: schemas.url,
      POSTGRES_EVENT_SCHEMA: schema,
      POSTGRES_READ_SCHEMA: schemas.next(),
      BUS: 'kafka',
      KAFKA_BROKERS: required('KAFKA_BROKERS'),
      KAFKA_TOPIC_PREFIX: topics.prefix,
      PROJECTION_BATCH: '50',
      DATA_DIR: dir,
    };
    try {
      const streams = streamIds(40, 'lease');
      const append = async (round: number): Promise<void> => {
        await Promise.all(
          streams.map((streamId) =>
            store.append(streamId, [anEvent(streamId, round)], round === 0 ? 'no_stream' : round - 1),
          ),
        );
      };
      for (const name of ['relay-a', 'relay-b']) {
        relays.push(await startEngineProcess({ name, subcommand: 'relay', env, logDir: dir }));
        // the first one holds the lease before the second starts, so which one is active is known
        if (name === 'relay-a') await eventually('relay-a holds the lease', () => holds(relays[0] as EngineProcess));
      }
      const [active, standby] = relays as [EngineProcess, EngineProcess];
      expect(holds(standby), 'the standby publishes nothing').to.equal(false);
      for (let round = 0; round < 10; round++) await append(round);
      await active.kill(); // SIGKILL, whatever it was doing
      const killedAt = Date.now();
      for (let round = 10; round < 20; round++) await append(round);
      await eventually('the standby took over', () => holds(standby), 30_000);
      const takeoverMs = Date.now() - killedAt;
      expect(takeoverMs, 'takeover after the holder died').to.be.below(10_000);

      const events: RecordedEvent[] = [];
      for (;;) {
        const batch = await store.readAll({ after: events[events.length - 1]?.position ?? 0, maxCount: 5_000 });
        if (batch.length === 0) break;
        events.push(...batch);
      }
      expect(events).to.have.length(streams.length * 20);
      let copies = new Map<string, number>();
      await eventually(
        'every event is in Kafka',
        async () => {
          const messages = await readTopics(kafka, admin, topics.all);
          copies = countBy(messages, (message) => message.event?.eventId ?? `malformed@${message.offset}`);
          return events.every((event) => copies.has(event.eventId));
        },
        60_000,
      );
      expect(
        [...copies].filter(([, count]) => count > 1),
        'events published twice',
      ).to.deep.equal([]);
      expect(copies.size).to.equal(events.length);
    } finally {
      for (const relay of relays) await relay.stop(5_000).catch(() => undefined);
      await store.close();
      await deleteTopics(admin, topics.all);
      await admin.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
