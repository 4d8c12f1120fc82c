import { expect } from 'chai';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { startOwnedRestartable, type RestartableService } from '../../tools/services/harness';
import { servicesDir } from '../../tools/services/paths';
import { isAlive } from '../../tools/services/proc';
import { listOwned } from '../../tools/services/state';

const ownedPids = (): number[] => listOwned().map((o) => o.record.pid);

/** The harness's restartable servers (the fault specs restart them under load): same port, same data, owned. */
describe('restartable PostgreSQL and Kafka of a spec of its own', function () {
  this.timeout(120_000);
  let server: RestartableService | undefined;

  afterEach(async () => {
    await server?.dispose();
    server = undefined;
  });

  it('PostgreSQL: stopped, then started again on the same port with every row still there', async () => {
    const postgres = await startOwnedRestartable('postgres', join(servicesDir(), 'restartable-postgres.log'));
    server = postgres;
    const { url, port, pid } = postgres.record;
    const query = async (sql: string): Promise<Record<string, unknown>[]> => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
      await client.connect();
      try {
        return (await client.query<Record<string, unknown>>(sql)).rows;
      } finally {
        await client.end();
      }
    };
    await query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the restart')");
    expect(ownedPids()).to.include(pid);

    await postgres.stop();
    expect(postgres.running).to.equal(false);
    expect(isAlive(pid), 'the postmaster exited').to.equal(false);
    const refused = await query('SELECT 1').then(
      () => 'answered',
      () => 'refused',
    );
    expect(refused).to.equal('refused');

    await postgres.start();
    expect(postgres.record.port).to.equal(port);
    expect(postgres.record.pid).not.to.equal(pid);
    expect(ownedPids(), 'recorded as owned under its new pid').to.include(postgres.record.pid).and.not.include(pid);
    expect(await query('SELECT v FROM kept')).to.deep.equal([{ v: 'before the restart' }]);
  });

  it('Kafka: stopped, then started again on the same port with its topics and messages', async () => {
    const kafka = await startOwnedRestartable('kafka', join(servicesDir(), 'restartable-kafka.log'));
    server = kafka;
    const { url, port, pid } = kafka.record;
    const client = new Kafka({ clientId: 'restartable-spec', brokers: [url], logLevel: logLevel.NOTHING });
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 1, replicationFactor: 1 }] });
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: 'kept', messages: [{ value: 'before the restart' }], acks: -1 });
    await producer.disconnect();
    await admin.disconnect();

    await kafka.stop();
    expect(isAlive(pid), 'the broker exited').to.equal(false);
    await kafka.start();
    expect(kafka.record.port).to.equal(port);
    expect(ownedPids()).to.include(kafka.record.pid).and.not.include(pid);

    const again = client.admin();
    await again.connect();
    try {
      expect(await again.listTopics()).to.include('kept');
      const [offsets] = await again.fetchTopicOffsets('kept');
      expect(offsets?.high, 'the message is still there').to.equal('1');
    } finally {
      await again.disconnect();
    }
  });
});
