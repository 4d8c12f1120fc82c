import * as t from 'io-ts';
import { mainWarehouse, quantity, Quantity, WarehouseId } from '../shared';

/** Units of one reservation held in (or taken from) one warehouse. */
export const AllocationPart = t.readonly(t.strict({ warehouse: WarehouseId, quantity: Quantity }), 'AllocationPart');
export type AllocationPart = t.TypeOf<typeof AllocationPart>;

/** Where a reservation's units are: one part per warehouse, each warehouse once. */
export const Allocation = t.readonlyArray(AllocationPart, 'Allocation');
export type Allocation = t.TypeOf<typeof Allocation>;

/** Stock of one SKU in one warehouse. */
export interface WarehouseLevel {
  readonly onHand: number;
  /** always the sum of the parts open reservations hold here */
  readonly reserved: number;
}

export const emptyLevel: WarehouseLevel = { onHand: 0, reserved: 0 };

/** What an event's optional `allocation` means: absent, every unit from `main` (as every event before warehouses). */
export const allocationOf = (event: {
  readonly quantity: Quantity;
  readonly allocation?: Allocation | undefined;
}): Allocation => event.allocation ?? [{ warehouse: mainWarehouse, quantity: event.quantity }];

/** The `allocation` field an event records: none when every unit is in `main`, so one-warehouse stock reads as before. */
export const allocationField = (parts: Allocation): { readonly allocation?: Allocation } =>
  parts.length === 1 && parts[0]?.warehouse === mainWarehouse ? {} : { allocation: parts };

/** The `warehouse` field an event records: none for `main`. */
export const warehouseField = (warehouse: WarehouseId | undefined): { readonly warehouse?: WarehouseId } =>
  warehouse === undefined || warehouse === mainWarehouse ? {} : { warehouse };

export const unitsOf = (parts: Allocation): number => parts.reduce((n, part) => n + part.quantity, 0);

const byId = (a: WarehouseId, b: WarehouseId): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Where `wanted` units come from, or undefined when all warehouses together hold fewer available units.
 *
 * One warehouse when any can serve them all (a line ships in one parcel): `main` if it can, else the one with most
 * available, ties by id. Otherwise the line is split, the warehouse with most available first (fewest parts), ties
 * by id. Deterministic, so a replayed decision allocates the same way.
 */
export const allocate = (levels: ReadonlyMap<WarehouseId, WarehouseLevel>, wanted: number): Allocation | undefined => {
  const free = [...levels]
    .map(([warehouse, level]) => ({ warehouse, units: level.onHand - level.reserved }))
    .filter((w) => w.units > 0)
    .sort((a, b) => b.units - a.units || byId(a.warehouse, b.warehouse));
  const main = free.find((w) => w.warehouse === mainWarehouse);
  const whole = main !== undefined && main.units >= wanted ? main : free.find((w) => w.units >= wanted);
  if (whole !== undefined) return [{ warehouse: whole.warehouse, quantity: quantity(wanted) }];
  const parts: AllocationPart[] = [];
  let left = wanted;
  for (const w of free) {
    if (left === 0) break;
    const units = Math.min(left, w.units);
    parts.push({ warehouse: w.warehouse, quantity: quantity(units) });
    left -= units;
  }
  return left === 0 ? parts : undefined;
};
