/**
 * Child process for the cross-process test: appends to the same SQLite file as the parent, concurrently.
 * Usage: append-from-child <file> <stream prefix> <streams> <appends per stream> <other prefix>
 * Prints `ready` once the store is open, then `done <appends>` and exits 0. Halfway through, each appender waits until
 * the other process has appended to `<other prefix>-0`, so the two processes' writes are sure to interleave.
 */
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';

export const untilStreamExists = async (store: SqliteEventStore, streamId: string): Promise<void> => {
  while ((await store.readStream(streamId)).length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
};

const main = async (): Promise<void> => {
  const [file, prefix, streams, appends, other] = process.argv.slice(2);
  if (
    file === undefined ||
    prefix === undefined ||
    streams === undefined ||
    appends === undefined ||
    other === undefined
  ) {
    throw new Error('usage: append-from-child <file> <stream prefix> <streams> <appends per stream> <other prefix>');
  }
  const store = new SqliteEventStore({ path: file, busyTimeoutMs: 10000 });
  process.stdout.write('ready\n');
  const appender = async (stream: string): Promise<void> => {
    for (let revision = 0; revision < Number(appends); revision += 1) {
      if (revision === Math.floor(Number(appends) / 2)) await untilStreamExists(store, `${other}-0`);
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

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
