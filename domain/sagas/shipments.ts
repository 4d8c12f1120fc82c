import { mainWarehouse, type OrderId, type Timestamp, type WarehouseId } from '../shared';
import type { ShipmentLine, ShipmentPlan, ShipmentShipped } from '../order';
import type { AuthorizationRequested, CodConfirmed, FulfilmentEvent } from './fulfilment-events';
import { fulfilmentCommandIds } from './fulfilment-ids';
import type { LineProgress, ShipmentProgress, StartedFulfilment } from './fulfilment-state';
import { effects, mergeEffects, type OutgoingCommand, type SagaEffects } from './saga';

/**
 * Orders split over warehouses (issue 20, item 4). Once every line is reserved the saga knows where each line's units
 * are (StockReserved's allocation: the last line's from the reservation itself, the others' recorded by LineReserved).
 * When they span several warehouses it plans one shipment per warehouse: the event that records the last reservation
 * (AuthorizationRequested, or CodConfirmed) carries the plan, and its outbox sends PlanShipments to the order centre.
 * Each ShipmentShipped then commits that warehouse's part of each line (ShipmentRecorded with the warehouse); the last
 * one completes the saga. An order from one warehouse plans nothing and ships whole, as before.
 */

const byWarehouse = (a: { readonly warehouse: string }, b: { readonly warehouse: string }): number =>
  a.warehouse < b.warehouse ? -1 : a.warehouse > b.warehouse ? 1 : 0;

/** The shipment plan of the order's lines, or undefined when all of them are in one warehouse. */
export const shipmentPlanOf = (lines: readonly LineProgress[]): ShipmentPlan | undefined => {
  const shipments = new Map<WarehouseId, ShipmentLine[]>();
  for (const line of lines) {
    for (const part of line.allocation ?? [{ warehouse: mainWarehouse, quantity: line.quantity }]) {
      const planned = shipments.get(part.warehouse) ?? [];
      shipments.set(part.warehouse, [...planned, { sku: line.sku, quantity: part.quantity }]);
    }
  }
  if (shipments.size < 2) return undefined;
  return [...shipments].map(([warehouse, shipped]) => ({ warehouse, lines: shipped })).sort(byWarehouse);
};

/** The `shipments` field of the event recording the last reservation: the plan, when there is one. */
export const planField = (lines: readonly LineProgress[]): { readonly shipments?: ShipmentPlan } => {
  const plan = shipmentPlanOf(lines);
  return plan === undefined ? {} : { shipments: plan };
};

/** The saga's view of a plan it sent: nothing shipped yet. */
export const withPlan = (state: StartedFulfilment, shipments: ShipmentPlan | undefined): StartedFulfilment =>
  shipments === undefined || state.shipments !== undefined
    ? state
    : { ...state, shipments: shipments.map((s): ShipmentProgress => ({ ...s, shipped: false })) };

/** The outbox of an event carrying a plan also sends it to the order centre. */
export const withPlanCommand = (
  outbox: SagaEffects,
  event: AuthorizationRequested | CodConfirmed,
  orderId: OrderId,
  at: Timestamp,
): SagaEffects =>
  event.shipments === undefined
    ? outbox
    : mergeEffects([
        outbox,
        effects({
          commands: [
            {
              target: 'order',
              commandId: fulfilmentCommandIds.planShipments(orderId),
              command: { type: 'PlanShipments', orderId, shipments: event.shipments, at },
            },
          ],
        }),
      ]);

/** One warehouse's shipment left: commit its part of each of its lines (a confirmed order's planned shipment only). */
export const onShipmentShipped = (input: ShipmentShipped, state: StartedFulfilment): readonly FulfilmentEvent[] => {
  if (state.status !== 'Confirmed') return [];
  const shipment = state.shipments?.find((s) => s.warehouse === input.warehouse);
  if (shipment === undefined || shipment.shipped) return [];
  return [
    {
      type: 'ShipmentRecorded',
      orderId: state.orderId,
      commit: shipment.lines.map((l) => l.sku),
      warehouse: shipment.warehouse,
      at: input.at,
    },
  ];
};

/** After a warehouse's shipment: the saga completes once every shipment left. */
export const evolveShipment = (state: StartedFulfilment, warehouse: WarehouseId, at: Timestamp): StartedFulfilment => {
  if (state.status !== 'Confirmed' || state.shipments === undefined) return state;
  const shipments = state.shipments.map((s) => (s.warehouse === warehouse ? { ...s, shipped: true } : s));
  if (!shipments.every((s) => s.shipped)) return { ...state, shipments };
  return {
    ...state,
    status: 'Completed',
    shipments,
    lines: state.lines.map((l) => (l.status === 'reserved' ? { ...l, status: 'committed' } : l)),
    shippedAt: at,
  };
};

/** A shipment's commits: each of its lines' part in that warehouse (CommitReservation with the warehouse). */
export const shipmentCommits = (
  orderId: OrderId,
  warehouse: WarehouseId,
  skus: readonly ShipmentLine['sku'][],
  at: Timestamp,
): OutgoingCommand[] =>
  skus.map((sku) => ({
    target: 'inventory',
    commandId: fulfilmentCommandIds.commitShipment(orderId, warehouse, sku),
    command: { type: 'CommitReservation', sku, orderId, warehouse, at },
  }));

/** Where the saga is with a split order's shipments, for the read side (undefined: not split). */
export const shipmentsStep = (state: StartedFulfilment): string | undefined => {
  const shipments = state.shipments;
  if (shipments === undefined) return undefined;
  return `${shipments.filter((s) => s.shipped).length} of ${shipments.length} shipments shipped`;
};
