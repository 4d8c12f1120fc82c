import { createInterface } from 'node:readline';
import { loadConfig } from '../../app/config';
import { createLogger } from '../../infra/observability/logger';
import { startEmbeddedEngine } from '../../app/runtime/engine';

/**
 * The whole engine in a child process, for the SIGKILL test: configured by the environment like `npm start`,
 * it prints `{"url": …}` once listening, and answers `idle` on stdin with `{"idle": <head position>}` once the
 * sagas settled. The parent kills it with SIGKILL, so nothing here gets to clean up.
 */
const main = async (): Promise<void> => {
  const engine = await startEmbeddedEngine(loadConfig(), createLogger('silent'));
  const write = (value: unknown): void => {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  };
  write({ url: engine.url });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== 'idle') return;
    const sagas = engine.sagas;
    if (sagas === undefined) {
      write({ error: 'no sagas' });
      return;
    }
    sagas
      .idle(60_000)
      .then(() => engine.store.headPosition())
      .then(
        (head) => {
          write({ idle: head });
        },
        (error: unknown) => {
          write({ error: String(error) });
        },
      );
  });
};

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
