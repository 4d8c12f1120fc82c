import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import { startEmbeddedEngine } from './engine';
import { untilSignal } from './lifecycle';
import { startSplitEngine } from './split-engine';

/**
 * `commerce serve`: the whole engine until SIGTERM/SIGINT. Split (the default): HTTP, commands and reads in this
 * process, sagas and projections in a worker process it starts and restarts. Single: everything on one event loop
 * (ENGINE_LAYOUT=single, and always for an in-memory event store, which a second process cannot open).
 */
export const runServe = async (config: Config, logger: Logger): Promise<void> => {
  const split = config.engineLayout === 'split' && config.sqlitePath !== ':memory:';
  const engine = split ? await startSplitEngine(config, logger) : await startEmbeddedEngine(config, logger);
  logger.info(
    { url: engine.url, data: config.dataDir, layout: split ? 'split' : 'single' },
    split
      ? 'commerce engine listening (embedded: command and read API here, sagas and projections in a worker process)'
      : 'commerce engine listening (embedded: command API, projections, read API)',
  );
  await untilSignal(logger, () => engine.stop());
};
