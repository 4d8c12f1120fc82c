import { randomBytes } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { openMongoReadStore } from '../../infra/mongodb/mongo-read-store';
import { mongoClient, withTimeout } from '../../infra/services/clients';
import { readStoreContract } from './read-store.contract';

/**
 * The read store contract against a real MongoDB wire server (FerretDB under `npm run test:services`). Each test gets
 * its own database, named after this run, and drops it afterwards.
 */
const mongodbUrl = process.env.MONGODB_URL?.trim() ?? '';
const runPrefix = `rs_contract_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

describe('the read store contract', () => {
  if (mongodbUrl === '') {
    describe('MongoDB adapter', () => {
      it('runs only when MONGODB_URL points at a server (not set: skipped; "npm run test:services" sets it)', function () {
        this.skip();
      });
    });
    return;
  }

  let admin: MongoClient | undefined;
  let databases = 0;

  before(async () => {
    const client = mongoClient(mongodbUrl);
    await withTimeout(client.connect(), 10_000, `connecting to ${mongodbUrl}`);
    admin = client;
  });

  // Sweeps what a failed cleanup left behind, then lets go of the admin connection.
  after(async () => {
    if (admin === undefined) return;
    const client = admin;
    try {
      const { databases: all } = await withTimeout(
        client.db().admin().listDatabases({ nameOnly: true }),
        10_000,
        'listing databases',
      );
      for (const { name } of all.filter((database) => database.name.startsWith(runPrefix))) {
        await withTimeout(client.db(name).dropDatabase(), 10_000, `dropping ${name}`);
      }
    } finally {
      await withTimeout(client.close(), 10_000, 'closing the admin client');
    }
  });

  readStoreContract('MongoDB adapter', async () => {
    databases += 1;
    const database = `${runPrefix}_${databases}`;
    const store = await openMongoReadStore({ url: mongodbUrl, database });
    return {
      store,
      cleanup: async () => {
        await withTimeout(store.close(), 10_000, 'closing the read store');
        if (admin !== undefined) await withTimeout(admin.db(database).dropDatabase(), 10_000, `dropping ${database}`);
      },
    };
  });
});
