import { join } from 'node:path';
import { expect } from 'chai';
import { openMongoReadStore } from '../../infra/mongodb/mongo-read-store';
import { StoreUnavailableError } from '../../ports/event-store';
import { mongoClient, withTimeout } from '../../tools/services/clients';
import { startOwnedFerretDb, stopOwnedService } from '../../tools/services/harness';
import { servicesDir } from '../../tools/services/paths';
import { isAlive, sleep } from '../../tools/services/proc';
import type { ServiceRecord } from '../../tools/services/state';

/** How long a driver operation may take to fail once its server is gone. */
const failFastMs = 15_000;

const rejectionOf = async (operation: Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> => {
  const started = Date.now();
  const error: unknown = await withTimeout(operation, 60_000, 'the operation neither resolved nor rejected').then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  return { error, elapsedMs: Date.now() - started };
};

interface Closable {
  close(): Promise<unknown>;
}

/**
 * A FerretDB server of the describe's own, so killing it leaves the shared one (MONGODB_URL) alone: started before its
 * tests, stopped after them, once the clients its tests handed to `closeAfter` are closed.
 */
const ownedFerretDb = (
  log: string,
): {
  readonly server: () => ServiceRecord;
  readonly kill: () => Promise<void>;
  readonly closeAfter: <T extends Closable>(client: T) => T;
} => {
  let started: ServiceRecord | undefined;
  const clients: Closable[] = [];
  before(async () => {
    started = await startOwnedFerretDb(join(servicesDir(), log));
  });
  after(async () => {
    for (const client of clients.splice(0)) {
      await withTimeout(client.close(), 10_000, 'closing a client').catch(() => undefined);
    }
    if (started !== undefined) await stopOwnedService(started);
  });
  const server = (): ServiceRecord => {
    if (started === undefined) throw new Error('the extra FerretDB did not start');
    return started;
  };
  return {
    server,
    closeAfter: (client) => {
      clients.push(client);
      return client;
    },
    kill: async () => {
      const { pid } = server();
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
      expect(isAlive(pid), 'the server process is gone').to.equal(false);
    },
  };
};

describe('a FerretDB server killed while a client is connected', () => {
  const ferretDb = ownedFerretDb('ferretdb-failure-test.log');

  it('makes the next driver operations reject within 15 s with a clear error, not hang', async () => {
    const connected = ferretDb.closeAfter(mongoClient(ferretDb.server().url));
    const probes = connected.db('failure_test').collection<{ _id: string; at: number }>('probes');
    await probes.insertOne({ _id: 'before-kill', at: Date.now() });
    expect(await probes.countDocuments()).to.equal(1);

    await ferretDb.kill();

    // the first operation finds its pooled connection dead; the next one finds no server to select
    for (const attempt of ['first', 'second']) {
      const { error, elapsedMs } = await rejectionOf(probes.findOne({ _id: 'before-kill' }));
      expect(error, `the ${attempt} operation after the kill rejects`).to.be.instanceOf(Error);
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      expect(elapsedMs, `the ${attempt} operation failed after ${elapsedMs} ms: ${message}`).to.be.below(failFastMs);
      expect(message).to.match(/ECONNREFUSED|ECONNRESET|closed|Server selection timed out|connect/i);
    }
  }).timeout(60_000);
});

describe('the MongoDB read store when its FerretDB server is killed', () => {
  const ferretDb = ownedFerretDb('ferretdb-failure-store-test.log');

  it('answers reads and writes as unavailable (the read API answers 503), not with the driver’s errors', async () => {
    const opened = ferretDb.closeAfter(
      await openMongoReadStore({
        url: ferretDb.server().url,
        database: 'failure_store',
        quietAfterUnknownWriteMs: 100,
      }),
    );
    await opened.putMany('things', [{ id: 'a', body: { n: 1 }, progress: {}, expectedVersion: 0 }]);
    expect((await opened.get('things', 'a'))?.body).to.deep.equal({ n: 1 });

    await ferretDb.kill();

    // the first call finds its pooled connection dead, the next ones find no server to select
    const calls: [string, () => Promise<unknown>][] = [
      ['a read', () => opened.get('things', 'a')],
      ['another read', () => opened.query('things', { limit: 10 })],
      ['a write', () => opened.putMany('things', [{ id: 'a', body: { n: 2 }, progress: {}, expectedVersion: 1 }])],
    ];
    for (const [what, call] of calls) {
      const { error, elapsedMs } = await rejectionOf(call());
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      expect(error, `${what}: ${message}`).to.be.instanceOf(StoreUnavailableError);
      expect(elapsedMs, `${what} failed after ${elapsedMs} ms`).to.be.below(failFastMs);
    }
  }).timeout(60_000);
});
