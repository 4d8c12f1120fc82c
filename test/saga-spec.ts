import { expect } from 'chai';
import { stepSaga, type Deadline, type OutgoingCommand, type SagaDecider, type SagaEffects } from '../domain/sagas';

/**
 * Given/when/then for sagas: the given inputs are run through the saga (react, then evolve) to build its state;
 * the checks look at what the last input made it record, send and schedule.
 *   givenSaga(saga)(placed, reserved).when(declined).thenSends(release, cancel).thenState((s) => …)
 * Commands are compared as a set (sorted by command id): the runner sends them independently.
 */
export interface SagaThen<S, Ev extends { readonly type: string }> {
  readonly state: S;
  readonly events: readonly Ev[];
  readonly effects: SagaEffects;
  /** the input made the saga send exactly these commands */
  thenSends(...expected: OutgoingCommand[]): SagaThen<S, Ev>;
  thenSendsNothing(): SagaThen<S, Ev>;
  /** the input made the saga record events of exactly these types, in order */
  thenRecords(...types: Ev['type'][]): SagaThen<S, Ev>;
  /** the input recorded nothing at all: a duplicate or a fact that does not apply */
  thenIgnores(): SagaThen<S, Ev>;
  thenSchedules(...deadlines: Deadline[]): SagaThen<S, Ev>;
  thenCancels(...deadlineIds: string[]): SagaThen<S, Ev>;
  thenState(check: (state: S) => void): SagaThen<S, Ev>;
}

export interface SagaGiven<I, S, Ev extends { readonly type: string }> {
  /** state after the given inputs */
  readonly state: S;
  /** every command the given inputs made the saga send, in order */
  readonly sent: readonly OutgoingCommand[];
  when(input: I): SagaThen<S, Ev>;
}

const byCommandId = (commands: readonly OutgoingCommand[]): OutgoingCommand[] =>
  [...commands].sort((a, b) => (a.commandId < b.commandId ? -1 : a.commandId > b.commandId ? 1 : 0));

export const runSaga = <I, S, Ev>(
  saga: SagaDecider<I, S, Ev>,
  inputs: readonly I[],
  from: S = saga.initialState,
): { readonly state: S; readonly events: readonly Ev[]; readonly sent: readonly OutgoingCommand[] } => {
  let state = from;
  const events: Ev[] = [];
  const sent: OutgoingCommand[] = [];
  for (const input of inputs) {
    const step = stepSaga(saga, state, input);
    state = step.state;
    events.push(...step.events);
    sent.push(...step.effects.commands);
  }
  return { state, events, sent };
};

export const givenSaga =
  <I, S, Ev extends { readonly type: string }>(saga: SagaDecider<I, S, Ev>) =>
  (...history: I[]): SagaGiven<I, S, Ev> => {
    const given = runSaga(saga, history);
    return {
      state: given.state,
      sent: given.sent,
      when(input: I): SagaThen<S, Ev> {
        const step = stepSaga(saga, given.state, input);
        const then: SagaThen<S, Ev> = {
          state: step.state,
          events: step.events,
          effects: step.effects,
          thenSends(...expected) {
            expect(byCommandId(step.effects.commands)).to.deep.equal(byCommandId(expected));
            return then;
          },
          thenSendsNothing() {
            expect(step.effects.commands).to.deep.equal([]);
            return then;
          },
          thenRecords(...types) {
            expect(step.events.map((e) => e.type)).to.deep.equal(types);
            return then;
          },
          thenIgnores() {
            expect(step.events).to.deep.equal([]);
            return then;
          },
          thenSchedules(...deadlines) {
            expect(step.effects.schedule).to.deep.equal(deadlines);
            return then;
          },
          thenCancels(...deadlineIds) {
            expect([...step.effects.cancel].sort()).to.deep.equal([...deadlineIds].sort());
            return then;
          },
          thenState(check) {
            check(step.state);
            return then;
          },
        };
        return then;
      },
    };
  };
