/** Where each projection is in the global log, for read-your-writes and for lag reporting. */
export interface ProjectionProgress {
  position(projection: string): Promise<number>;
  /** true once `projection` applied every event up to `position`; false when `timeoutMs` passed first */
  waitFor(projection: string, position: number, timeoutMs: number): Promise<boolean>;
}
