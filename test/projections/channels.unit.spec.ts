import { expect } from 'chai';
import { ordersProjection, withChannelDefaults, type PlacedOrderDoc } from '../../projections/orders/projection';
import { salesProjection, withChannelSales } from '../../projections/sales/projection';
import { eventLog, givenProjection } from '../projection-spec';
import { O1, O2, orderPlaced } from './fixtures';

describe('the read models see the channel and trade type of each order', () => {
  describe('the orders projection', () => {
    const given = givenProjection(ordersProjection);

    it("records the order's channel and trade type", () => {
      const log = eventLog();
      given(...log(orderPlaced({ channel: 'pos', tradeType: 'cod' }))).thenDocument(O1, (doc) => {
        expect(doc).to.include({ channel: 'pos', tradeType: 'cod' });
      });
    });

    it('records an order placed without a channel as the built-in default, standard', () => {
      const log = eventLog();
      given(...log(orderPlaced())).thenDocument(O1, (doc) => {
        expect(doc).to.include({ channel: 'default', tradeType: 'standard' });
      });
    });

    it('indexes both, so the read API can filter on them', () => {
      expect(ordersProjection.indexes).to.include.members(['channel', 'tradeType']);
    });

    it('answers documents projected before channels as default and standard', () => {
      const log = eventLog();
      const doc = given(...log(orderPlaced())).thenDocument(O1, () => undefined) as PlacedOrderDoc;
      const { channel: _c, tradeType: _t, ...before } = doc;
      expect(withChannelDefaults(before)).to.include({ channel: 'default', tradeType: 'standard' });
      expect(withChannelDefaults({ ...before, channel: 'pos', tradeType: 'presale' })).to.include({
        channel: 'pos',
        tradeType: 'presale',
      });
    });
  });

  describe('the sales projection', () => {
    const given = givenProjection(salesProjection);

    it('counts each order under its channel: orders, units, order value and discounts per currency', () => {
      const log = eventLog();
      const then = given(
        ...log(
          orderPlaced({ orderId: O1, channel: 'mall', promotions: [{ promotionId: 'p-1', amount: 250 }] }),
          orderPlaced({ orderId: O2, channel: 'pos' }),
          orderPlaced({ orderId: 'o-3', channel: 'mall' }),
          orderPlaced({ orderId: 'o-4' }),
        ),
      );
      then.thenDocument('day:2026-03-01', (doc) => {
        expect(doc.ordersPlaced).to.equal(4);
        expect(doc.byChannel).to.deep.equal({
          mall: { ordersPlaced: 2, unitsOrdered: 6, orderValue: { EUR: 4750 }, discounts: { EUR: 250 } },
          pos: { ordersPlaced: 1, unitsOrdered: 3, orderValue: { EUR: 2500 }, discounts: {} },
          default: { ordersPlaced: 1, unitsOrdered: 3, orderValue: { EUR: 2500 }, discounts: {} },
        });
      });
    });

    it('keeps a channel named like an Object property as data', () => {
      const log = eventLog();
      given(...log(orderPlaced({ channel: 'constructor' }))).thenDocument('day:2026-03-01', (doc) => {
        expect(Object.keys(doc.byChannel ?? {})).to.deep.equal(['constructor']);
      });
    });

    it('answers a bucket from before channels with an empty breakdown', () => {
      expect(withChannelSales({ bucket: 'day:2026-01-01' })).to.deep.equal({
        bucket: 'day:2026-01-01',
        byChannel: {},
      });
    });
  });
});
