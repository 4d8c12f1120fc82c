import type { InventoryEvent } from '../../domain/inventory';
import type { MoneyView } from '../payments/projection';
import type { DomainEvent, ProjectedEvent, Projection } from '../projection';
import { inventoryEventTypes } from '../events';

/** At or below this many available units a SKU is flagged for restocking. */
export const LOW_STOCK_THRESHOLD = 5;

/** Units moved over the SKU's life, for dashboards. */
export interface SkuCounters {
  /** units ever reserved (a re-reservation for the same order counts again) */
  readonly reservedTotal: number;
  /** units shipped out of stock */
  readonly committedTotal: number;
  /** units added by restocks (returns included) */
  readonly restockedTotal: number;
}

/** `skus` read model: one document per SKU (id = sku). A type alias so it is assignable to a JSON body type. */
export type SkuDoc = {
  readonly sku: string;
  /** null only when a stock event was projected before the SKU's definition, which its stream never records */
  readonly name: string | null;
  readonly unitPrice: MoneyView | null;
  readonly onHand: number;
  readonly reserved: number;
  /** onHand − reserved */
  readonly available: number;
  /** available ≤ LOW_STOCK_THRESHOLD (so also when nothing is available) */
  readonly lowStock: boolean;
  readonly updatedAt: string;
  readonly counters: SkuCounters;
};

const inventoryTypes: ReadonlySet<string> = new Set(inventoryEventTypes);

const isInventoryEvent = (event: DomainEvent): event is InventoryEvent => inventoryTypes.has(event.type);

const emptySku = (id: string, at: string): SkuDoc => ({
  sku: id,
  name: null,
  unitPrice: null,
  onHand: 0,
  reserved: 0,
  available: 0,
  lowStock: true,
  updatedAt: at,
  counters: { reservedTotal: 0, committedTotal: 0, restockedTotal: 0 },
});

/** Recomputes the derived fields; levels never go below zero even on a history the aggregate would not write. */
const withLevels = (doc: SkuDoc, onHand: number, reserved: number): SkuDoc => {
  const held = Math.max(0, reserved);
  const available = Math.max(0, onHand - held);
  return { ...doc, onHand, reserved: held, available, lowStock: available <= LOW_STOCK_THRESHOLD };
};

const count = (doc: SkuDoc, change: Partial<SkuCounters>): SkuCounters => ({ ...doc.counters, ...change });

const evolveSku = (doc: SkuDoc | null, e: ProjectedEvent, id: string): SkuDoc => {
  const { event } = e;
  const base = doc ?? emptySku(id, event.at);
  if (!isInventoryEvent(event)) return base;
  const current: SkuDoc = { ...base, updatedAt: event.at };
  // Absolute levels carried by the events (onHand, available) are preferred to running sums: they self-correct.
  switch (event.type) {
    case 'SkuDefined':
    case 'SkuUpdated':
      return { ...current, name: event.name, unitPrice: event.unitPrice };
    case 'StockRestocked':
      return withLevels(
        { ...current, counters: count(current, { restockedTotal: current.counters.restockedTotal + event.quantity }) },
        event.onHand,
        current.reserved,
      );
    case 'StockAdjusted':
      return withLevels(current, event.onHand, current.reserved);
    case 'StockReserved':
      return withLevels(
        { ...current, counters: count(current, { reservedTotal: current.counters.reservedTotal + event.quantity }) },
        current.onHand,
        current.onHand - event.available,
      );
    case 'ReservationReleased':
    case 'ReservationExpired':
      return withLevels(current, current.onHand, current.reserved - event.quantity);
    case 'ReservationCommitted':
      return withLevels(
        { ...current, counters: count(current, { committedTotal: current.counters.committedTotal + event.quantity }) },
        event.onHand,
        current.reserved - event.quantity,
      );
    default: {
      const _exhaustive: never = event;
      return base;
    }
  }
};

export const skusProjection: Projection<SkuDoc> = {
  name: 'skus',
  version: 1,
  indexes: ['lowStock', 'sku'],
  eventTypes: inventoryEventTypes,
  documentIds: (e) => (isInventoryEvent(e.event) ? [e.event.sku] : []),
  evolve: evolveSku,
};
