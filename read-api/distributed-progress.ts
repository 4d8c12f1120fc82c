import type { CheckpointStore } from '../ports/event-store';
import type { ReadStore } from '../ports/read-store';
import type { Projection } from '../projections/projection';
import { LiveCollections } from '../projections/registry';
import { PROGRESS_COLLECTION, type SourceProgress } from '../projections/worker';
import type { ProjectionProgress } from './progress';

/** Next offset to be written per source (`topic/partition`), i.e. the partitions' high watermarks. */
export type EndOffsets = () => Promise<ReadonlyMap<string, number>>;

/** A value read at most once per `maxAgeMs`, shared by every caller meanwhile; a failed read is not kept. */
class Recent<T> {
  private last: { readonly at: number; readonly value: Promise<T> } | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly maxAgeMs: number,
  ) {}

  get(): Promise<T> {
    const now = Date.now();
    if (this.last !== undefined && now - this.last.at < this.maxAgeMs) return this.last.value;
    const value = this.read();
    const entry = { at: now, value };
    this.last = entry;
    value.catch(() => {
      if (this.last === entry) this.last = undefined;
    });
    return value;
  }
}

/** The relay's position, then the partitions' end offsets read after it (so they hold every event up to it). */
interface Published {
  readonly relay: number;
  readonly ends: ReadonlyMap<string, number>;
}

/**
 * Read-your-writes across processes (relay → Kafka → projectors → read store). A projection has applied every event
 * up to P when the relay has published through P and, for every partition, the projector either applied an event at
 * or beyond P there, or consumed everything the partition holds. The end offsets are read *after* the relay position,
 * so they include every event ≤ P.
 *
 * Every read request asks for a position (the `X-Projection-Position` header) and a request waiting for its write
 * asks again every `pollMs`: each answer costs a checkpoint read and a progress query on the read store and two
 * broker requests per topic. So what the relay published is read at most once per `pollMs` for all requests and
 * projections, and each projection's progress at most once per `pollMs`, shared by every request meanwhile. A shared
 * answer can only be older, never ahead: a position computed from it is at most what the projection reached.
 */
export class DistributedProgress implements ProjectionProgress {
  private readonly live: LiveCollections;
  private readonly published: Recent<Published>;
  private readonly applied = new Map<string, Recent<Map<string, SourceProgress>>>();
  private readonly pollMs: number;

  constructor(
    private readonly options: {
      readonly readStore: ReadStore;
      readonly checkpoints: CheckpointStore;
      readonly relayCheckpoint: string;
      readonly endOffsets: EndOffsets;
      readonly projections: readonly Projection<unknown>[];
      /** how often a waiting request looks again, and the most a shared answer is old; default 25 ms */
      readonly pollMs?: number;
    },
  ) {
    this.live = new LiveCollections(options.readStore);
    this.pollMs = options.pollMs ?? 25;
    this.published = new Recent(async () => {
      const relay = await options.checkpoints.load(options.relayCheckpoint);
      return { relay, ends: await options.endOffsets() };
    }, this.pollMs);
  }

  private sources(projection: string): Promise<Map<string, SourceProgress>> {
    let recent = this.applied.get(projection);
    if (recent === undefined) {
      recent = new Recent(() => this.readSources(projection), this.pollMs);
      this.applied.set(projection, recent);
    }
    return recent.get();
  }

  private async readSources(projection: string): Promise<Map<string, SourceProgress>> {
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
    const [{ relay, ends }, applied] = await Promise.all([this.published.get(), this.sources(projection)]);
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
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }
}
