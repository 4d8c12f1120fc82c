/**
 * One holder at a time for a named role (e.g. the relay of a topic prefix): the active process holds the lease,
 * standbys wait for it. A holder that dies loses it with its connection, so a standby takes over without waiting for
 * a timeout of the holder's own.
 */
export interface Lease {
  readonly name: string;
  /** settles when the lease ends: lost (the connection that held it failed: the holder must stop at once) or released */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

export interface LeaseProvider {
  /** resolves once this process holds the lease; `signal` gives up waiting (rejects with an AbortError) */
  acquire(name: string, options?: { readonly signal?: AbortSignal; readonly onWaiting?: () => void }): Promise<Lease>;
}
