import pino from 'pino';
import type { Logger } from '../../ports/logger';

/**
 * Structured JSON logs, one line per event, with the component that wrote it. Servers log to stdout; operator
 * commands log to stderr so their stdout stays parseable (`--json`, tables).
 */
export const createLogger = (level: string, component = 'commerce', stream: 'stdout' | 'stderr' = 'stdout'): Logger =>
  stream === 'stdout'
    ? pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime })
    : pino(
        { level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime },
        pino.destination({ fd: 2, sync: true }),
      );
