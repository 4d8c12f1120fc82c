import type { CheckpointStore } from '../../ports/event-store';
import type { ReadStore } from '../../ports/read-store';

/** Checkpoints kept in the read store, for event stores that have no table of their own for them (EventStoreDB). */
export class ReadStoreCheckpointStore implements CheckpointStore {
  constructor(
    private readonly store: ReadStore,
    private readonly collection = 'checkpoints',
  ) {}

  async load(name: string): Promise<number> {
    const doc = await this.store.get(this.collection, name);
    const position = doc?.body.position;
    return typeof position === 'number' ? position : 0;
  }

  async save(name: string, position: number): Promise<void> {
    // one writer per checkpoint name (the relay or bus that owns it), so an unconditional upsert is enough
    await this.store.putMany(this.collection, [{ id: name, body: { position }, progress: {}, expectedVersion: 'any' }]);
  }
}
