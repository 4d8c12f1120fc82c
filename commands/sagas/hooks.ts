/**
 * Points in the runner where a test may simulate a crash (a hook that throws). The runner then stops dead: no
 * further write of any kind, no bus checkpoint — exactly what a killed process leaves behind.
 */
export type CrashPoint =
  /** the dispatch log announced an append, the saga events are not appended yet */
  | 'before-append'
  /** saga events appended; timers, dispatch and the bus checkpoint not done */
  | 'after-append'
  /** one command of a saga event sent, the others (and the dispatch log) not */
  | 'after-command'
  /** every command of a step sent, the dispatch log not updated */
  | 'after-dispatch'
  /** a bus batch fully handled, the bus checkpoint not saved */
  | 'before-checkpoint';

export interface CrashContext {
  readonly sagaId?: string;
  readonly eventType?: string;
  readonly commandId?: string;
}

export interface RunnerHooks {
  /** called at each crash point; throwing there crashes the runner */
  readonly at?: (point: CrashPoint, context: CrashContext) => void;
}

/** Thrown (or wrapped) once the runner is stopped or crashed: work in flight unwinds without writing. */
export class RunnerHalted extends Error {
  constructor(readonly why: 'stopped' | 'crashed') {
    super(`the saga runner ${why}`);
    this.name = 'RunnerHalted';
  }
}

/** What a test's crash hook throws. */
export class SimulatedCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`simulated crash at ${point}`);
    this.name = 'SimulatedCrash';
  }
}
