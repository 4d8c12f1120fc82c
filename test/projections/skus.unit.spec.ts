import { expect } from 'chai';
import { LOW_STOCK_THRESHOLD, skusProjection, type SkuDoc } from '../../projections/skus/projection';
import { eventLog, givenProjection } from '../projection-spec';
import { quantity, warehouseId, type WarehouseId } from '../../domain/shared';
import {
  A,
  B,
  at,
  eur,
  orderPlaced,
  paymentAuthorized,
  reservationCommitted,
  reservationExpired,
  reservationReleased,
  skuDefined,
  skuUpdated,
  stockAdjusted,
  stockReserved,
  stockRestocked,
} from './fixtures';

const given = givenProjection(skusProjection);

const levels = (doc: SkuDoc): Pick<SkuDoc, 'onHand' | 'reserved' | 'available' | 'lowStock'> => ({
  onHand: doc.onHand,
  reserved: doc.reserved,
  available: doc.available,
  lowStock: doc.lowStock,
});

describe('the skus projection', () => {
  describe('when a SKU is defined', () => {
    it('shows its catalogue entry with nothing in stock, flagged as low', () => {
      const log = eventLog();
      given(...log(skuDefined({ name: 'Anvil', unitPrice: eur(1000), at: at(9) }))).thenDocument(A, (doc) => {
        expect(doc).to.deep.equal({
          sku: A,
          name: 'Anvil',
          unitPrice: eur(1000),
          onHand: 0,
          reserved: 0,
          available: 0,
          lowStock: true,
          updatedAt: at(9),
          counters: { reservedTotal: 0, committedTotal: 0, restockedTotal: 0 },
          warehouses: {},
        });
      });
    });

    it('declares the low-stock flag and the sku as indexes', () => {
      expect(skusProjection.indexes).to.deep.equal(['lowStock', 'sku']);
    });
  });

  describe('when the catalogue entry is updated', () => {
    it('shows the new name and price and keeps the stock levels', () => {
      const log = eventLog();
      const events = log(
        skuDefined(),
        stockRestocked({ onHand: 10 }),
        skuUpdated({ name: 'Anvil XL', unitPrice: eur(1500) }),
      );
      given(...events).thenDocument(A, (doc) => {
        expect(doc.name).to.equal('Anvil XL');
        expect(doc.unitPrice).to.deep.equal(eur(1500));
        expect(doc.onHand).to.equal(10);
      });
    });
  });

  describe('when stock is restocked', () => {
    it('takes the level after the restock and counts the restocked units', () => {
      const log = eventLog();
      given(
        ...log(skuDefined(), stockRestocked({ quantity: 10, onHand: 10 }), stockRestocked({ quantity: 4, onHand: 14 })),
      ).thenDocument(A, (doc) => {
        expect(levels(doc)).to.deep.equal({ onHand: 14, reserved: 0, available: 14, lowStock: false });
        expect(doc.counters.restockedTotal).to.equal(14);
      });
    });
  });

  describe('when stock is adjusted', () => {
    it('takes the level after the adjustment', () => {
      const log = eventLog();
      given(
        ...log(skuDefined(), stockRestocked({ onHand: 10 }), stockAdjusted({ delta: -3, onHand: 7, at: at(9, 40) })),
      ).thenDocument(A, (doc) => {
        expect(levels(doc)).to.deep.equal({ onHand: 7, reserved: 0, available: 7, lowStock: false });
        expect(doc.updatedAt).to.equal(at(9, 40));
      });
    });
  });

  describe('when stock is reserved, released, expired and committed', () => {
    const log = eventLog();
    const history = log(
      skuDefined(),
      stockRestocked({ onHand: 20 }),
      stockReserved({ orderId: 'o-1', quantity: 3, available: 17 }),
      stockReserved({ orderId: 'o-2', quantity: 4, available: 13 }),
      stockReserved({ orderId: 'o-3', quantity: 2, available: 11 }),
    );

    it('holds the reserved units apart from the available ones', () => {
      given(...history).thenDocument(A, (doc) => {
        expect(levels(doc)).to.deep.equal({ onHand: 20, reserved: 9, available: 11, lowStock: false });
        expect(doc.counters.reservedTotal).to.equal(9);
      });
    });

    it('frees released and expired units', () => {
      const more = log(
        reservationReleased({ orderId: 'o-1', quantity: 3 }),
        reservationExpired({ orderId: 'o-2', quantity: 4 }),
      );
      given(...history, ...more).thenDocument(A, (doc) => {
        expect(levels(doc)).to.deep.equal({ onHand: 20, reserved: 2, available: 18, lowStock: false });
      });
    });

    it('takes committed units out of stock and counts them', () => {
      const more = log(reservationCommitted({ orderId: 'o-3', quantity: 2, onHand: 18 }));
      given(...history, ...more).thenDocument(A, (doc) => {
        expect(levels(doc)).to.deep.equal({ onHand: 18, reserved: 7, available: 11, lowStock: false });
        expect(doc.counters.committedTotal).to.equal(2);
      });
    });
  });

  describe('per warehouse', () => {
    const EAST = warehouseId('east');
    const WEST = warehouseId('west');
    const part = (warehouse: WarehouseId, units: number) => ({ warehouse, quantity: quantity(units) });
    const log = eventLog();
    // main 2, east 3, west 3; order o-1 holds 3 in east and 1 in west
    const history = log(
      skuDefined(),
      stockRestocked({ quantity: 2, onHand: 2 }),
      { ...stockRestocked({ quantity: 3, onHand: 5 }), warehouse: EAST },
      { ...stockRestocked({ quantity: 3, onHand: 8 }), warehouse: WEST },
      { ...stockReserved({ orderId: 'o-1', quantity: 4, available: 4 }), allocation: [part(EAST, 3), part(WEST, 1)] },
    );

    it('shows each warehouse with its levels, events naming none counting as main', () => {
      given(...history).thenDocument(A, (doc) => {
        expect(doc.warehouses).to.deep.equal({
          main: { onHand: 2, reserved: 0, available: 2 },
          east: { onHand: 3, reserved: 3, available: 0 },
          west: { onHand: 3, reserved: 1, available: 2 },
        });
        expect(levels(doc)).to.deep.equal({ onHand: 8, reserved: 4, available: 4, lowStock: true });
      });
    });

    it("takes one shipment's units out of its warehouse only", () => {
      const more = log({
        ...reservationCommitted({ orderId: 'o-1', quantity: 3, onHand: 5 }),
        allocation: [part(EAST, 3)],
      });
      given(...history, ...more).thenDocument(A, (doc) => {
        expect(doc.warehouses).to.deep.equal({
          main: { onHand: 2, reserved: 0, available: 2 },
          east: { onHand: 0, reserved: 0, available: 0 },
          west: { onHand: 3, reserved: 1, available: 2 },
        });
        expect(levels(doc)).to.deep.equal({ onHand: 5, reserved: 1, available: 4, lowStock: true });
      });
    });

    it('frees every part of a released reservation', () => {
      const more = log({
        ...reservationReleased({ orderId: 'o-1', quantity: 4 }),
        allocation: [part(EAST, 3), part(WEST, 1)],
      });
      given(...history, ...more).thenDocument(A, (doc) => {
        expect(doc.warehouses.east).to.deep.equal({ onHand: 3, reserved: 0, available: 3 });
        expect(doc.warehouses.west).to.deep.equal({ onHand: 3, reserved: 0, available: 3 });
        expect(doc.reserved).to.equal(0);
      });
    });

    it('applies an adjustment to the warehouse it names', () => {
      const more = log({ ...stockAdjusted({ delta: -2, onHand: 6 }), warehouse: WEST });
      given(...history, ...more).thenDocument(A, (doc) => {
        expect(doc.warehouses.west).to.deep.equal({ onHand: 1, reserved: 1, available: 0 });
        expect(doc.onHand).to.equal(6);
      });
    });

    it('keeps a one-warehouse history all in main', () => {
      const one = eventLog();
      given(
        ...one(
          skuDefined(),
          stockRestocked({ onHand: 10 }),
          stockReserved({ orderId: 'o-1', quantity: 4, available: 6 }),
          reservationCommitted({ orderId: 'o-1', quantity: 4, onHand: 6 }),
        ),
      ).thenDocument(A, (doc) => {
        expect(doc.warehouses).to.deep.equal({ main: { onHand: 6, reserved: 0, available: 6 } });
      });
    });
  });

  describe('its low-stock flag', () => {
    it(`turns on at ${LOW_STOCK_THRESHOLD} available units and off again above`, () => {
      const log = eventLog();
      const steps = [
        log(skuDefined()),
        log(stockRestocked({ onHand: LOW_STOCK_THRESHOLD + 1 })),
        log(stockReserved({ quantity: 1, available: LOW_STOCK_THRESHOLD })),
        log(reservationReleased({ quantity: 1 })),
        log(stockAdjusted({ delta: -(LOW_STOCK_THRESHOLD + 1), onHand: 0 })),
        log(stockRestocked({ onHand: 50 })),
      ];
      const flags = steps.map((_, i) => {
        const doc = given(...steps.slice(0, i + 1).flat()).thenDocument(A, () => undefined);
        return [doc.available, doc.lowStock];
      });
      expect(flags).to.deep.equal([
        [0, true],
        [LOW_STOCK_THRESHOLD + 1, false],
        [LOW_STOCK_THRESHOLD, true],
        [LOW_STOCK_THRESHOLD + 1, false],
        [0, true],
        [50, false],
      ]);
    });

    it('is on when everything on hand is reserved', () => {
      const log = eventLog();
      given(
        ...log(skuDefined(), stockRestocked({ onHand: 100 }), stockReserved({ quantity: 100, available: 0 })),
      ).thenDocument(A, (doc) => {
        expect(levels(doc)).to.deep.equal({ onHand: 100, reserved: 100, available: 0, lowStock: true });
      });
    });
  });

  describe('when several SKUs move', () => {
    it('keeps one document per SKU', () => {
      const log = eventLog();
      const then = given(
        ...log(skuDefined({ sku: A }), skuDefined({ sku: B, name: 'Bucket' }), stockRestocked({ sku: B, onHand: 8 })),
      );
      then.thenDocument(A, (doc) => expect(doc.onHand).to.equal(0));
      then.thenDocument(B, (doc) => {
        expect(doc.name).to.equal('Bucket');
        expect(doc.onHand).to.equal(8);
      });
    });

    it('creates no document for order or payment events', () => {
      const log = eventLog();
      given(...log(orderPlaced(), paymentAuthorized())).thenNoDocument(A);
    });
  });

  describe('when a stock event is projected before the SKU is defined', () => {
    it('shows the levels with no catalogue entry rather than failing', () => {
      const log = eventLog();
      given(...log(stockRestocked({ onHand: 3 }))).thenDocument(A, (doc) => {
        expect(doc.name).to.equal(null);
        expect(doc.unitPrice).to.equal(null);
        expect(levels(doc)).to.deep.equal({ onHand: 3, reserved: 0, available: 3, lowStock: true });
      });
    });
  });
});
