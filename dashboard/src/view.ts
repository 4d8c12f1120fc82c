/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import type { Api } from './api';

/** What changed since the last refresh: the projections that advanced, or everything. */
export type Changed = ReadonlySet<string> | 'all';

export interface ViewContext {
  readonly api: Api;
  /** the element the view renders into (emptied before) */
  readonly root: HTMLElement;
  /** wall-clock time as the page sees it */
  readonly now: () => number;
  /**
   * Reports a failed load. 401/403 send the operator to the key form; anything else is shown in `where`.
   * Returns false for an abort (the view was left), which needs no message.
   */
  readonly failed: (error: unknown, where: HTMLElement) => boolean;
}

export interface View {
  /** the page title and the view's heading */
  readonly title: string;
  /** loads what `changed` affects; the first call loads everything */
  refresh(changed: Changed): Promise<void>;
  /** the view was left: cancel requests, release charts */
  dispose(): void;
}

export const affects = (changed: Changed, ...projections: readonly string[]): boolean =>
  changed === 'all' || projections.some((p) => changed.has(p));
