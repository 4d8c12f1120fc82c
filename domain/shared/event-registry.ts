import * as t from 'io-ts';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { describeErrors } from './validation';

/**
 * Persisted event types are stable and versioned: the domain event `OrderPlaced` is stored as `OrderPlaced.v1`.
 * When a shape changes, the new codec gets version 2 and an upcaster turns stored v1 data into v2 data, so old
 * streams stay readable without rewriting them.
 */
export interface EventDefinition<Ev> {
  readonly version: number;
  readonly codec: t.Type<Ev, unknown>;
}

export interface Upcaster {
  /** stored type name it reads, e.g. `OrderPlaced.v1` */
  readonly from: string;
  /** stored type name it produces, e.g. `OrderPlaced.v2` */
  readonly to: string;
  readonly upcast: (data: unknown) => unknown;
}

export interface StoredEventData {
  readonly type: string;
  readonly data: unknown;
}

export interface EventRegistry<Ev extends { readonly type: string }> {
  /** every stored type name this registry writes, e.g. ['OrderPlaced.v1', …] */
  readonly storedTypes: readonly string[];
  /**
   * Every stored type name this registry reads (what it writes and what its upcasters read) with the domain event
   * type it decodes to, e.g. `OrderPlaced.v1` → `OrderPlaced`.
   */
  readonly readableTypes: ReadonlyMap<string, Ev['type']>;
  readonly handles: (storedType: string) => boolean;
  readonly encode: (event: Ev) => StoredEventData;
  /** decodes stored data (after upcasting) or names what is wrong with it */
  readonly decode: (stored: StoredEventData) => E.Either<string, Ev>;
}

type Definitions<Ev extends { readonly type: string }> = {
  readonly [K in Ev['type']]: EventDefinition<Extract<Ev, { readonly type: K }>>;
};

export const storedTypeName = (type: string, version: number): string => `${type}.v${version}`;

export const eventRegistry = <Ev extends { readonly type: string }>(
  definitions: Definitions<Ev>,
  upcasters: readonly Upcaster[] = [],
): EventRegistry<Ev> => {
  const byStoredType = new Map<string, t.Type<Ev, unknown>>();
  const versionOf = new Map<string, number>();
  const readableTypes = new Map<string, Ev['type']>();
  for (const [type, def] of Object.entries(definitions) as [Ev['type'], EventDefinition<Ev>][]) {
    byStoredType.set(storedTypeName(type, def.version), def.codec);
    versionOf.set(type, def.version);
    readableTypes.set(storedTypeName(type, def.version), type);
  }
  const upcasterFrom = new Map(upcasters.map((u) => [u.from, u]));
  for (const { from } of upcasters) {
    // bounded like `decode`: follow the chain to the type it ends at
    let current = upcasterFrom.get(from)?.to;
    for (let hops = 0; current !== undefined && hops <= upcasters.length; hops++) {
      const type = readableTypes.get(current);
      if (type !== undefined) {
        readableTypes.set(from, type);
        break;
      }
      current = upcasterFrom.get(current)?.to;
    }
  }
  const handles = (storedType: string): boolean => byStoredType.has(storedType) || upcasterFrom.has(storedType);

  const decode = (stored: StoredEventData): E.Either<string, Ev> => {
    let current = stored;
    // bounded: each upcaster moves one version forward
    for (let hops = 0; hops <= upcasters.length; hops++) {
      const codec = byStoredType.get(current.type);
      if (codec) {
        // Data that already is the event (what `encode` stored, read back as JSON) is answered as it is: the guard
        // walks it without building a copy, a Left, or a context per field. Anything else (older shapes the codec
        // converts, extra or wrong fields) takes the full decode, which strips, converts or names the problem.
        if (codec.is(current.data)) return E.right(current.data);
        return pipe(
          codec.decode(current.data),
          E.mapLeft((errors) => `${current.type}: ${describeErrors(errors)}`),
        );
      }
      const up = upcasterFrom.get(current.type);
      if (!up) return E.left(`unknown event type ${stored.type}`);
      current = { type: up.to, data: up.upcast(current.data) };
    }
    return E.left(`upcaster loop for ${stored.type}`);
  };

  return {
    storedTypes: [...byStoredType.keys()],
    readableTypes,
    handles,
    encode: (event) => {
      const version = versionOf.get(event.type);
      const codec = version === undefined ? undefined : byStoredType.get(storedTypeName(event.type, version));
      if (version === undefined || !codec) throw new TypeError(`no definition for event ${event.type}`);
      return { type: storedTypeName(event.type, version), data: codec.encode(event) };
    },
    decode,
  };
};
