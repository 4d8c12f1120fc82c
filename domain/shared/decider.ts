import * as E from 'fp-ts/Either';
import type { DomainError } from './errors';

/**
 * An aggregate as a decider: pure functions, no I/O, no clock, no randomness.
 * `decide` answers the events a command produces (possibly none: an idempotent repeat) or a typed error.
 */
export interface Decider<C, S, Ev, Err extends DomainError = DomainError> {
  readonly initialState: S;
  readonly evolve: (state: S, event: Ev) => S;
  readonly decide: (command: C, state: S) => E.Either<Err, readonly Ev[]>;
}

export const fold = <C, S, Ev, Err extends DomainError>(
  decider: Decider<C, S, Ev, Err>,
  events: readonly Ev[],
  from: S = decider.initialState,
): S => events.reduce(decider.evolve, from);

/** Decide against the state folded from history; convenient for tests and simple handlers. */
export const decideFrom = <C, S, Ev, Err extends DomainError>(
  decider: Decider<C, S, Ev, Err>,
  history: readonly Ev[],
  command: C,
): E.Either<Err, readonly Ev[]> => decider.decide(command, fold(decider, history));

export const accept = <Ev>(...events: Ev[]): E.Either<never, readonly Ev[]> => E.right(events);
export const reject = <Err>(error: Err): E.Either<Err, never> => E.left(error);

/** Exhaustiveness guard for switches over discriminated unions. */
export const absurd = (value: never): never => {
  throw new TypeError(`unexpected variant: ${JSON.stringify(value)}`);
};
