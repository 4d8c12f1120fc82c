import type { ShipmentsPlanned } from '../../domain/order';

/** One warehouse's shipment of a split order, as the orders read model shows it. */
export interface ShipmentView {
  readonly warehouse: string;
  readonly lines: readonly { readonly sku: string; readonly quantity: number }[];
  /** absent until it ships */
  readonly shippedAt?: string;
}

/** The plan as shown: nothing shipped yet. */
export const plannedShipments = (event: ShipmentsPlanned): readonly ShipmentView[] =>
  event.shipments.map((s) => ({
    warehouse: s.warehouse,
    lines: s.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
  }));

/** `warehouse`'s shipment shipped at `at` (a repeat changes nothing). */
export const shipmentsAfter = (
  shipments: readonly ShipmentView[],
  warehouse: string,
  at: string,
): readonly ShipmentView[] =>
  shipments.map((s) => (s.warehouse === warehouse && s.shippedAt === undefined ? { ...s, shippedAt: at } : s));
