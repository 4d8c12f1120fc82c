import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import { startEmbeddedEngine } from './engine';
import { untilSignal } from './lifecycle';

/** `commerce serve`: the whole engine in one process until SIGTERM/SIGINT. */
export const runServe = async (config: Config, logger: Logger): Promise<void> => {
  const engine = await startEmbeddedEngine(config, logger);
  logger.info(
    { url: engine.url, data: config.dataDir },
    'commerce engine listening (embedded: command API, projections, read API)',
  );
  await untilSignal(logger, () => engine.stop());
};
