import type { LogReader, LogWindow, ReadTypesOptions } from '../ports/log-reader';

/**
 * A log reader that fetches the next window while the caller folds this one: a rebuild reading from a server (the
 * PostgreSQL event store) then waits for the server only when folding is faster than reading. Only a full window
 * (as many events examined as asked) is handed out from the read-ahead: the events below its end are settled, while
 * a short window at the head may grow and is read again.
 */
export const readAhead = (reader: LogReader): LogReader => {
  let ahead: { readonly options: ReadTypesOptions; readonly window: Promise<LogWindow | undefined> } | undefined;
  const fetchAfter = (options: ReadTypesOptions, window: LogWindow): void => {
    if (window.examined < options.maxCount) {
      ahead = undefined;
      return;
    }
    const next = { ...options, after: window.through };
    // a failed read-ahead is read again when asked for, and fails (or not) then
    ahead = { options: next, window: reader.readTypes(next).catch(() => undefined) };
  };
  return {
    readTypes: async (options) => {
      const pending = ahead;
      ahead = undefined;
      const prefetched =
        pending !== undefined &&
        pending.options.after === options.after &&
        pending.options.maxCount === options.maxCount &&
        pending.options.types === options.types
          ? await pending.window
          : undefined;
      const window =
        prefetched !== undefined && prefetched.examined === options.maxCount
          ? prefetched
          : await reader.readTypes(options);
      fetchAfter(options, window);
      return window;
    },
  };
};
