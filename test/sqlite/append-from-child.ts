/**
 * Child process for the cross-process test: appends to the same SQLite file as the parent, concurrently.
 * Usage: append-from-child <file> <stream prefix> <streams> <appends per stream>
 * Prints `ready` once the store is open, then `done <appends>` and exits 0.
 */
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';

const main = async (): Promise<void> => {
  const [file, prefix, streams, appends] = process.argv.slice(2);
  if (file === undefined || prefix === undefined || streams === undefined || appends === undefined) {
    throw new Error('usage: append-from-child <file> <stream prefix> <streams> <appends per stream>');
  }
  const store = new SqliteEventStore({ path: file, busyTimeoutMs: 10000 });
  process.stdout.write('ready\n');
  const appender = async (stream: string): Promise<void> => {
    for (let revision = 0; revision < Number(appends); revision += 1) {
      const commandId = randomUUID();
      await store.append(
        stream,
        [
          {
            eventId: randomUUID(),
            type: 'ChildAppended.v1',
            data: { revision },
            metadata: {
              commandId,
              causationId: commandId,
              correlationId: stream,
              timestamp: new Date().toISOString(),
              schemaVersion: 1,
            },
          },
        ],
        revision === 0 ? 'no_stream' : revision - 1,
      );
    }
  };
  await Promise.all(Array.from({ length: Number(streams) }, (_, index) => appender(`${prefix}-${index}`)));
  await store.close();
  process.stdout.write(`done ${Number(streams) * Number(appends)}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
