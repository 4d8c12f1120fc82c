import type { CheckpointStore } from '../ports/event-store';
import type { ReadStore } from '../ports/read-store';
import type { Projection } from '../projections/projection';
import { LiveCollections } from '../projections/registry';
import { PROGRESS_COLLECTION, type SourceProgress } from '../projections/worker';
import type { ProjectionProgress } from './progress';

/** Next offset to be written per source (`topic/partition`), i.e. the partitions' high watermarks. */
export type EndOffsets = () => Promise<ReadonlyMap<string, number>>;

/**
 * Read-your-writes across processes (relay → Kafka → projectors → read store). A projection has applied every event
 * up to P when the relay has published through P and, for every partition, the projector either applied an event at
 * or beyond P there, or consumed everything the partition holds. The end offsets are read *after* the relay position,
 * so they include every event ≤ P.
 */
export class DistributedProgress implements ProjectionProgress {
  constructor(
    private readonly options: {
      readonly readStore: ReadStore;
      readonly checkpoints: CheckpointStore;
      readonly relayCheckpoint: string;
      readonly endOffsets: EndOffsets;
      readonly projections: readonly Projection<unknown>[];
      readonly pollMs?: number;
    },
  ) {
    this.live = new LiveCollections(options.readStore);
  }

  private readonly live: LiveCollections;

  private async sources(projection: string): Promise<Map<string, SourceProgress>> {
    const p = this.options.projections.find((x) => x.name === projection);
    if (!p) return new Map();
    // after a blue/green switch the live collection is not `collectionName(p)` any more
    const prefix = `${await this.live.collection(p)}@`;
    const page = await this.options.readStore.query(PROGRESS_COLLECTION, {
      where: { projection, version: p.version },
      limit: 500,
    });
    const out = new Map<string, SourceProgress>();
    for (const doc of page.items)
      if (doc.id.startsWith(prefix)) out.set(doc.id.slice(prefix.length), doc.body as unknown as SourceProgress);
    return out;
  }

  async position(projection: string): Promise<number> {
    const relay = await this.options.checkpoints.load(this.options.relayCheckpoint);
    const [applied, ends] = await Promise.all([this.sources(projection), this.options.endOffsets()]);
    let reached = relay;
    for (const [source, end] of ends) {
      const done = applied.get(source);
      if ((done?.sequence ?? -1) + 1 >= end) continue;
      // this partition still has unapplied messages: everything up to what it applied is in
      reached = Math.min(reached, done?.position ?? 0);
    }
    return reached;
  }

  async waitFor(projection: string, position: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.position(projection)) >= position) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 25));
    }
  }
}
