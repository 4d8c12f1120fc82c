import { randomBytes } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { mongoClient, withTimeout } from '../../tools/services/clients';
import { rebuildSuite } from './rebuild-suite';

/** The rebuild suite with the engine's read store on a real MongoDB wire server (FerretDB under test:services). */
const mongodbUrl = process.env.MONGODB_URL?.trim() ?? '';
const prefix = `rebuild_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const databases: string[] = [];

describe('rebuilds into MongoDB', () => {
  if (mongodbUrl === '') {
    // FerretDB can run here, so a missing server is a broken setup, not a reason to skip
    throw new Error('MONGODB_URL is not set: run this suite through npm run test:services, which starts FerretDB');
  }
  let admin: MongoClient | undefined;
  before(async () => {
    const client = mongoClient(mongodbUrl);
    await withTimeout(client.connect(), 10_000, `connecting to ${mongodbUrl}`);
    admin = client;
  });
  after(async () => {
    if (admin === undefined) return;
    for (const name of databases.splice(0))
      await withTimeout(admin.db(name).dropDatabase(), 30_000, `dropping ${name}`);
    await admin.close();
  });

  rebuildSuite(
    'on MongoDB (FerretDB)',
    () => {
      const database = `${prefix}_${databases.length}`;
      databases.push(database);
      return { READ_STORE: 'mongodb', MONGODB_URL: mongodbUrl, MONGODB_DATABASE: database };
    },
    { slower: 4, loadPauseMs: 20 },
  );
});
