import { StoreUnavailableError } from '../../ports/event-store';

/** Node's socket errors that mean the server is not there (refused, reset, gone). */
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * SQLSTATEs of a server going away or not accepting connections yet: class 08 (connection exception), 57P01
 * admin_shutdown (a fast stop cuts the sessions), 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up).
 */
const serverGoneStates = new Set(['57P01', '57P02', '57P03']);

/** node-postgres reports a lost connection, and a pool that could not connect in time, by message only. */
const lostConnection =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** True when `error` says the PostgreSQL server cannot be reached now (not that it refused the statement). */
export const isPgUnavailable = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (socketCodes.has(code) || serverGoneStates.has(code) || code.startsWith('08')))
    return true;
  return lostConnection.test(error.message);
};

/** `error` as a `StoreUnavailableError` when the server cannot be reached, else as it is (an Error). */
export const unavailableOr = (error: unknown): Error => {
  if (error instanceof StoreUnavailableError) return error;
  if (isPgUnavailable(error)) return new StoreUnavailableError('PostgreSQL', error as Error);
  return error instanceof Error ? error : new Error(String(error));
};

/** For `.catch`: rethrows `error`, as a `StoreUnavailableError` when the server cannot be reached. */
export const rethrowUnavailable = (error: unknown): never => {
  throw unavailableOr(error);
};
