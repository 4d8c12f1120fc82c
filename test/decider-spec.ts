import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { fold, type Decider, type DomainError } from '../domain/shared';

/**
 * Given/when/then for deciders:
 *   givenDecider(orderDecider)(placed).when(confirm).then(confirmed)
 *   givenDecider(orderDecider)(placed, cancelled).when(confirm).thenFails('OrderCancelled')
 */
export interface WhenClause<C, S, Ev> {
  when(command: C): ThenClause<S, Ev>;
}

export interface ThenClause<S, Ev> {
  /** the command succeeds with exactly these events (none for an idempotent repeat) */
  then(...expected: Ev[]): void;
  /** the command is rejected with this error code */
  thenFails(code: string): DomainError;
  /** the command succeeds; the resulting state satisfies the check */
  thenState(check: (state: S, events: readonly Ev[]) => void): void;
}

export const givenDecider =
  <C, S, Ev, Err extends DomainError>(decider: Decider<C, S, Ev, Err>) =>
  (...history: Ev[]): WhenClause<C, S, Ev> => ({
    when(command: C): ThenClause<S, Ev> {
      const state = fold(decider, history);
      const result = decider.decide(command, state);
      const events = (): readonly Ev[] => {
        if (E.isLeft(result)) {
          expect.fail(`expected success, got ${result.left.code}: ${result.left.message}`);
        }
        return result.right;
      };
      return {
        then(...expected: Ev[]) {
          expect(events()).to.deep.equal(expected);
        },
        thenFails(code: string) {
          if (E.isRight(result)) {
            return expect.fail(`expected ${code}, got events ${JSON.stringify(result.right)}`);
          }
          expect(result.left.code).to.equal(code);
          expect(result.left.message).to.be.a('string').and.not.empty;
          return result.left;
        },
        thenState(check) {
          const produced = events();
          check(fold(decider, produced, state), produced);
        },
      };
    },
  });
