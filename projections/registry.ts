import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { Gauge, type Registry } from 'prom-client';
import type { ReadStore } from '../ports/read-store';
import { collectionName } from './projection';

/**
 * Which collection serves each projection, and the state of a blue/green rebuild. One small document per projection
 * in `projection_registry`: flipping `live` is one document write, so a switch is atomic for every reader.
 */
export const REGISTRY_COLLECTION = 'projection_registry';

const RebuildState = t.intersection([
  t.type({
    target: t.string,
    version: t.number,
    /** checkpoint: every event at or below it is applied to the target */
    position: t.number,
    /** head of the log when the rebuild (or its last resume) started, for the percentage */
    head: t.number,
    startedAt: t.string,
    /** `switched`: reads use the target; the rebuild still tails until the live worker has taken over */
    state: t.union([t.literal('building'), t.literal('switched')]),
  }),
  t.partial({ mode: t.union([t.literal('embedded'), t.literal('kafka')]) }),
]);
export type RebuildState = t.TypeOf<typeof RebuildState>;

const LiveState = t.intersection([
  t.type({ collection: t.string, version: t.number }),
  t.partial({
    /**
     * Distributed mode: every event at or below it is already in the collection, applied by the rebuild with the
     * `$all` source; projectors (per-partition sources) must skip those events or they would apply them twice.
     */
    rebuiltThrough: t.number,
    /** Embedded mode: the rebuild's last checkpoint, so a live worker switching later knows what the target holds. */
    builtThrough: t.number,
  }),
]);
export type LiveState = t.TypeOf<typeof LiveState>;

const RegistryEntry = t.intersection([
  t.type({ name: t.string, live: LiveState, old: t.array(t.string) }),
  t.partial({ rebuild: RebuildState }),
]);
export type RegistryEntry = t.TypeOf<typeof RegistryEntry>;

export interface VersionedEntry {
  readonly entry: RegistryEntry;
  /** the registry document's version (0: no document yet), for compare-and-set writes */
  readonly version: number;
}

interface Named {
  readonly name: string;
  readonly version: number;
}

/** Today's behaviour for a projection nobody rebuilt: the collection named after its code version. */
export const defaultEntry = (projection: Named): RegistryEntry => ({
  name: projection.name,
  live: { collection: collectionName(projection), version: projection.version },
  old: [],
});

export const readEntry = async (store: ReadStore, projection: Named): Promise<VersionedEntry> => {
  const doc = await store.get(REGISTRY_COLLECTION, projection.name);
  if (doc === undefined) return { entry: defaultEntry(projection), version: 0 };
  const decoded = RegistryEntry.decode(doc.body);
  if (E.isLeft(decoded)) throw new Error(`${REGISTRY_COLLECTION}/${projection.name} is not a registry entry`);
  return { entry: decoded.right, version: doc.version };
};

/** Writes the entry if the registry document is still at `expectedVersion`; false when another writer got there first. */
export const writeEntry = async (store: ReadStore, entry: RegistryEntry, expectedVersion: number): Promise<boolean> => {
  const result = await store.putMany(REGISTRY_COLLECTION, [
    // a JSON round trip drops undefined optional fields, which the adapters refuse in bodies
    {
      id: entry.name,
      body: JSON.parse(JSON.stringify(entry)) as Record<string, unknown>,
      progress: {},
      expectedVersion,
    },
  ]);
  return result.conflicts.length === 0;
};

/**
 * Records today's live collection for a projection nobody registered yet, so that a later code version bump keeps
 * serving (and reports "rebuild due" for) the collection that holds data instead of an empty new one.
 */
export const ensureRegistered = async (store: ReadStore, projection: Named): Promise<VersionedEntry> => {
  const current = await readEntry(store, projection);
  if (current.version > 0) return current;
  // a conflict means another process registered it first: theirs is as good
  await writeEntry(store, current.entry, 0);
  return readEntry(store, projection);
};

/** The rebuild is due when the code's version is not the version the live collection was built with. */
export const rebuildDue = (projection: Named, entry: RegistryEntry): boolean =>
  entry.live.version !== projection.version;

export interface LiveCollectionsOptions {
  /** how long a resolved collection is trusted; default 200 ms */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Resolves the live collection per projection for readers, cached briefly so a read costs no registry lookup while a
 * switch still reaches every reader within the TTL.
 */
export class LiveCollections {
  private readonly cache = new Map<string, { readonly entry: RegistryEntry; readonly at: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: ReadStore,
    options: LiveCollectionsOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 200;
    this.now = options.now ?? Date.now;
  }

  async entry(projection: Named): Promise<RegistryEntry> {
    const cached = this.cache.get(projection.name);
    const now = this.now();
    if (cached !== undefined && now - cached.at < this.ttlMs) return cached.entry;
    const { entry } = await readEntry(this.store, projection);
    this.cache.set(projection.name, { entry, at: now });
    return entry;
  }

  async collection(projection: Named): Promise<string> {
    return (await this.entry(projection)).live.collection;
  }
}

/**
 * Registers `projection_rebuild_due{projection}` (1 when the code version differs from the live collection's) on a
 * process's metrics registry; read from the registry at scrape time.
 */
export const registerRebuildMetrics = (
  registry: Registry,
  store: ReadStore,
  projections: readonly Named[],
): Gauge<'projection'> => {
  const live = new LiveCollections(store);
  return new Gauge({
    name: 'projection_rebuild_due',
    help: 'Whether the projection code version differs from the version its live collection was built with',
    labelNames: ['projection'],
    registers: [registry],
    async collect() {
      for (const projection of projections) {
        const entry = await live.entry(projection);
        this.set({ projection: projection.name }, rebuildDue(projection, entry) ? 1 : 0);
      }
    },
  });
};
