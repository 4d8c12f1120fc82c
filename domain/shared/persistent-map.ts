/**
 * An immutable map whose `set` and `delete` cost O(1) instead of a copy of the whole map: every version shares one
 * mutable Map, held by the newest version used; the others hold the one-entry difference to a newer version
 * ("rerooting", as in Baker's persistent arrays). Reading an older version moves the Map back to it, so every version
 * keeps answering exactly what it held: from the outside it is a plain value, as the domain's purity requires.
 *
 * Deciders fold streams forwards, so each step reads the newest version and costs O(1). Iteration hands out a
 * snapshot, so a later read of another version cannot disturb it.
 */
export class PersistentMap<K, V> implements ReadonlyMap<K, V> {
  private node: Node<K, V>;

  private constructor(node: Node<K, V>) {
    this.node = node;
  }

  static empty<K, V>(): PersistentMap<K, V> {
    return new PersistentMap<K, V>({ kind: 'root', map: new Map() });
  }

  /** the same entries as `map`, as a persistent map (itself when it already is one) */
  static from<K, V>(map: ReadonlyMap<K, V>): PersistentMap<K, V> {
    return map instanceof PersistentMap
      ? (map as PersistentMap<K, V>)
      : new PersistentMap({ kind: 'root', map: new Map(map) });
  }

  get size(): number {
    return this.reroot().size;
  }

  get(key: K): V | undefined {
    return this.reroot().get(key);
  }

  has(key: K): boolean {
    return this.reroot().has(key);
  }

  /** a new version with `key` set to `value`; this one is unchanged */
  set(key: K, value: V): PersistentMap<K, V> {
    const map = this.reroot();
    return this.moveTo(map, key, () => map.set(key, value));
  }

  /** a new version without `key`; this one is unchanged */
  delete(key: K): PersistentMap<K, V> {
    const map = this.reroot();
    if (!map.has(key)) return this;
    return this.moveTo(map, key, () => map.delete(key));
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  entries(): MapIterator<[K, V]> {
    return new Map(this.reroot()).entries();
  }

  keys(): MapIterator<K> {
    return new Map(this.reroot()).keys();
  }

  values(): MapIterator<V> {
    return new Map(this.reroot()).values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  /** Applies `change` to the shared Map for a new version; this version keeps the entry it had as a difference. */
  private moveTo(map: Map<K, V>, key: K, change: () => void): PersistentMap<K, V> {
    const had = map.has(key);
    const value = map.get(key);
    change();
    const next = new PersistentMap<K, V>({ kind: 'root', map });
    this.node = { kind: 'diff', key, had, value, next };
    return next;
  }

  /** Makes this version hold the shared Map, turning the versions on the way into differences back to it. */
  private reroot(): Map<K, V> {
    if (this.node.kind === 'root') return this.node.map;
    const path: PersistentMap<K, V>[] = [this];
    let node: Node<K, V> = this.node;
    while (node.kind === 'diff') {
      path.push(node.next);
      node = node.next.node;
    }
    const map = node.map;
    // the last version on the path holds the Map already
    path.pop();
    for (let i = path.length - 1; i >= 0; i--) {
      const version = path[i];
      if (version === undefined || version.node.kind !== 'diff') continue;
      const { key, had, value, next } = version.node;
      next.node = { kind: 'diff', key, had: map.has(key), value: map.get(key), next: version };
      if (had) map.set(key, value as V);
      else map.delete(key);
      version.node = { kind: 'root', map };
    }
    return map;
  }
}

type Node<K, V> =
  | { readonly kind: 'root'; readonly map: Map<K, V> }
  | {
      readonly kind: 'diff';
      readonly key: K;
      /** whether this version holds `key`, and with which value */
      readonly had: boolean;
      readonly value: V | undefined;
      readonly next: PersistentMap<K, V>;
    };
