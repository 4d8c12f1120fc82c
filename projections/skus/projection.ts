import type { MoneyView } from '../payments/projection';
import { allocationOf, type Allocation, type InventoryEvent } from '../../domain/inventory';
import { defineProjection, type EventOfType, type On, type Projection } from '../projection';

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

/** Stock of the SKU in one warehouse. */
export type WarehouseStock = {
  readonly onHand: number;
  readonly reserved: number;
  /** onHand − reserved */
  readonly available: number;
};

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
  /**
   * Stock per warehouse (by id; `main` for the events that name none), each warehouse from its first stock event;
   * the levels above are their sums.
   */
  readonly warehouses: { readonly [warehouse: string]: WarehouseStock };
};

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
  warehouses: {},
});

/** Recomputes the derived fields; levels never go below zero even on a history the aggregate would not write. */
const withLevels = (doc: SkuDoc, onHand: number, reserved: number): SkuDoc => {
  const held = Math.max(0, reserved);
  const available = Math.max(0, onHand - held);
  return { ...doc, onHand, reserved: held, available, lowStock: available <= LOW_STOCK_THRESHOLD };
};

const count = (doc: SkuDoc, change: Partial<SkuCounters>): SkuCounters => ({ ...doc.counters, ...change });

/**
 * Adds on hand and reserved units per warehouse. Events carry no level per warehouse, so these are running sums (the
 * worker applies each event once); clamped at zero like the totals.
 */
const inWarehouses = (
  doc: SkuDoc,
  parts: readonly { readonly warehouse: string; readonly onHand: number; readonly reserved: number }[],
): SkuDoc => {
  // a document written before warehouses (projection v1) has none
  const warehouses: Record<string, WarehouseStock> = { ...(doc.warehouses as SkuDoc['warehouses'] | undefined) };
  for (const part of parts) {
    const before = warehouses[part.warehouse];
    const onHand = Math.max(0, (before?.onHand ?? 0) + part.onHand);
    const reserved = Math.max(0, (before?.reserved ?? 0) + part.reserved);
    warehouses[part.warehouse] = { onHand, reserved, available: Math.max(0, onHand - reserved) };
  }
  return { ...doc, warehouses };
};

/** Each part's units as a change of on hand and reserved (signs: +1 adds, −1 takes, 0 leaves). */
const moved = (parts: Allocation, onHand: -1 | 0, reserved: -1 | 1) =>
  parts.map((part) => ({
    warehouse: part.warehouse,
    onHand: onHand * part.quantity,
    reserved: reserved * part.quantity,
  }));

/** Every inventory event changes its SKU's document: the one this SKU's stream describes, stamped with its time. */
const onSku = <Ev extends InventoryEvent>(apply: (doc: SkuDoc, event: Ev) => SkuDoc): On<SkuDoc, Ev> => ({
  ids: (e) => [e.event.sku],
  evolve: (doc, e, id) => apply({ ...(doc ?? emptySku(id, e.event.at)), updatedAt: e.event.at }, e.event),
});

const reservationEnded = onSku<EventOfType<'ReservationReleased' | 'ReservationExpired'>>((doc, event) =>
  withLevels(inWarehouses(doc, moved(allocationOf(event), 0, -1)), doc.onHand, doc.reserved - event.quantity),
);

// Absolute levels carried by the events (onHand, available) are preferred to running sums: they self-correct.
export const skusProjection: Projection<SkuDoc> = defineProjection<SkuDoc>({
  name: 'skus',
  // v2: stock per warehouse
  version: 2,
  indexes: ['lowStock', 'sku'],
  on: {
    SkuDefined: onSku((doc, event) => ({ ...doc, name: event.name, unitPrice: event.unitPrice })),
    SkuUpdated: onSku((doc, event) => ({ ...doc, name: event.name, unitPrice: event.unitPrice })),
    StockRestocked: onSku((doc, event) =>
      withLevels(
        inWarehouses(
          { ...doc, counters: count(doc, { restockedTotal: doc.counters.restockedTotal + event.quantity }) },
          [{ warehouse: event.warehouse ?? 'main', onHand: event.quantity, reserved: 0 }],
        ),
        event.onHand,
        doc.reserved,
      ),
    ),
    StockAdjusted: onSku((doc, event) =>
      withLevels(
        inWarehouses(doc, [{ warehouse: event.warehouse ?? 'main', onHand: event.delta, reserved: 0 }]),
        event.onHand,
        doc.reserved,
      ),
    ),
    StockReserved: onSku((doc, event) =>
      withLevels(
        inWarehouses(
          { ...doc, counters: count(doc, { reservedTotal: doc.counters.reservedTotal + event.quantity }) },
          moved(allocationOf(event), 0, 1),
        ),
        doc.onHand,
        doc.onHand - event.available,
      ),
    ),
    ReservationReleased: reservationEnded,
    ReservationExpired: reservationEnded,
    ReservationCommitted: onSku((doc, event) =>
      withLevels(
        inWarehouses(
          { ...doc, counters: count(doc, { committedTotal: doc.counters.committedTotal + event.quantity }) },
          moved(allocationOf(event), -1, -1),
        ),
        event.onHand,
        doc.reserved - event.quantity,
      ),
    ),
  },
});
