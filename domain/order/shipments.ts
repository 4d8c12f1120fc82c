import * as t from 'io-ts';
import { OrderId, Quantity, Sku, Timestamp, WarehouseId } from '../shared';

/**
 * An order whose stock is held in several warehouses ships in one shipment per warehouse (issue 20, item 4). The
 * fulfilment saga plans them once every line is reserved (`PlanShipments`, from the reservations' allocations); an
 * order served by one warehouse plans nothing and ships whole, as before. Each shipment ships on its own
 * (`ShipShipment`); the order is PartiallyShipped until the last one ships, which records `OrderShipped` too, so
 * whatever follows an order's shipment (the saga's completion, read models) sees it as before.
 */

export const ShipmentLine = t.readonly(t.strict({ sku: Sku, quantity: Quantity }), 'ShipmentLine');
export type ShipmentLine = t.TypeOf<typeof ShipmentLine>;

/** What one warehouse sends: some units of some lines (a line split over warehouses appears in several). */
export const PlannedShipment = t.readonly(
  t.strict({ warehouse: WarehouseId, lines: t.readonlyArray(ShipmentLine) }),
  'PlannedShipment',
);
export type PlannedShipment = t.TypeOf<typeof PlannedShipment>;

export const ShipmentPlan = t.readonlyArray(PlannedShipment, 'ShipmentPlan');
export type ShipmentPlan = t.TypeOf<typeof ShipmentPlan>;

/** Sent by the fulfilment saga when the order's reservations span several warehouses. */
export const PlanShipments = t.readonly(
  t.strict({ type: t.literal('PlanShipments'), orderId: OrderId, shipments: ShipmentPlan, at: Timestamp }),
  'PlanShipments',
);
export type PlanShipments = t.TypeOf<typeof PlanShipments>;

/** One warehouse's shipment of a split order left. */
export const ShipShipment = t.readonly(
  t.strict({ type: t.literal('ShipShipment'), orderId: OrderId, warehouse: WarehouseId, at: Timestamp }),
  'ShipShipment',
);
export type ShipShipment = t.TypeOf<typeof ShipShipment>;

export const ShipmentsPlanned = t.readonly(
  t.strict({ type: t.literal('ShipmentsPlanned'), orderId: OrderId, shipments: ShipmentPlan, at: Timestamp }),
  'ShipmentsPlanned',
);
export type ShipmentsPlanned = t.TypeOf<typeof ShipmentsPlanned>;

/** The shipment of `warehouse` left; the last one of the order is followed by `OrderShipped` in the same append. */
export const ShipmentShipped = t.readonly(
  t.strict({ type: t.literal('ShipmentShipped'), orderId: OrderId, warehouse: WarehouseId, at: Timestamp }),
  'ShipmentShipped',
);
export type ShipmentShipped = t.TypeOf<typeof ShipmentShipped>;

/** A planned shipment on the order: `shippedAt` null until it ships. */
export interface OrderShipment extends PlannedShipment {
  readonly shippedAt: Timestamp | null;
}

/** The shipments not shipped yet, in plan order. */
export const unshipped = (shipments: readonly OrderShipment[]): OrderShipment[] =>
  shipments.filter((s) => s.shippedAt === null);

/** The plan as the order keeps it: no shipment shipped yet. */
export const toShipments = (plan: ShipmentPlan): OrderShipment[] => plan.map((s) => ({ ...s, shippedAt: null }));

/** Marks a warehouse's shipment shipped at `at` (unchanged when it already was). */
export const withShipped = (
  shipments: readonly OrderShipment[],
  warehouse: WarehouseId,
  at: Timestamp,
): OrderShipment[] =>
  shipments.map((s) => (s.warehouse === warehouse && s.shippedAt === null ? { ...s, shippedAt: at } : s));

const sameLines = (a: readonly ShipmentLine[], b: readonly ShipmentLine[]): boolean =>
  a.length === b.length && a.every((line) => b.some((o) => o.sku === line.sku && o.quantity === line.quantity));

/** The same plan, whatever the order of its shipments and lines: a redelivered PlanShipments. */
export const samePlan = (held: readonly PlannedShipment[], asked: ShipmentPlan): boolean =>
  held.length === asked.length &&
  asked.every((s) => held.some((h) => h.warehouse === s.warehouse && sameLines(h.lines, s.lines)));

/**
 * Why a plan cannot be the order's, or undefined: at least two shipments, each warehouse once, each non-empty with
 * each SKU once, and together exactly the order's lines.
 */
export const planProblem = (
  plan: ShipmentPlan,
  ordered: readonly { readonly sku: Sku; readonly quantity: number }[],
): string | undefined => {
  if (plan.length < 2) return 'a plan splits the order into at least two shipments (one warehouse plans nothing)';
  const warehouses = new Set(plan.map((s) => s.warehouse));
  if (warehouses.size !== plan.length) return 'each warehouse has one shipment';
  const planned = new Map<string, number>();
  for (const shipment of plan) {
    if (shipment.lines.length === 0) return `the shipment of ${shipment.warehouse} has no lines`;
    if (new Set(shipment.lines.map((l) => l.sku)).size !== shipment.lines.length) {
      return `the shipment of ${shipment.warehouse} names a SKU twice`;
    }
    for (const line of shipment.lines) planned.set(line.sku, (planned.get(line.sku) ?? 0) + line.quantity);
  }
  for (const line of ordered) {
    const units = planned.get(line.sku) ?? 0;
    if (units !== line.quantity) return `${line.sku}: ${units} units planned, ${line.quantity} ordered`;
  }
  const foreign = [...planned.keys()].find((sku) => !ordered.some((line) => line.sku === sku));
  return foreign === undefined ? undefined : `${foreign} is not on the order`;
};
