import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; one line per event, with the component that wrote it. */
export const createLogger = (level: string, component = 'commerce'): Logger =>
  pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime });
