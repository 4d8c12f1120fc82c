/**
 * Progress lines of the real-server harness. They go to stderr, so that stdout of `services:start` carries only the
 * `KEY=value` lines a shell can consume.
 */
export const progress = (message: string): void => {
  process.stderr.write(`[services] ${message}\n`);
};

export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
