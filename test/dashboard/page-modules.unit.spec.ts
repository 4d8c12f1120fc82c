import { expect } from 'chai';
import { apiRoot } from '../../dashboard/src/api';
import { describeRule, formatMajor, formatMoney, formatPercent, humanize } from '../../dashboard/src/format';
import { SseParser } from '../../dashboard/src/sse';
import { filled, hourWindow, totals } from '../../dashboard/src/stats';
import type { SalesBucket } from '../../dashboard/src/types';

const bucket = (start: string, placed: number, revenue: Record<string, number> = {}): SalesBucket => ({
  bucket: `hour:${start.slice(0, 13)}`,
  granularity: 'hour',
  start,
  ordersPlaced: placed,
  ordersConfirmed: placed,
  ordersCancelled: 0,
  revenue,
  refunds: {},
  refundCount: 0,
  unitsOrdered: placed,
});

describe("the dashboard page's plain modules", () => {
  describe('reading server-sent events', () => {
    it('yields an event only once its blank line arrived, however the chunks are cut', () => {
      const parser = new SseParser();
      expect(parser.push('event: posi')).to.deep.equal([]);
      expect(parser.push('tion\ndata: {"projection":"orders",')).to.deep.equal([]);
      expect(parser.push('"position":3}\n')).to.deep.equal([]);
      expect(parser.push('\n')).to.deep.equal([{ event: 'position', data: '{"projection":"orders","position":3}' }]);
    });

    it('skips comments, joins data lines and accepts CRLF and CR line ends', () => {
      const parser = new SseParser();
      const events = parser.push(': keep-alive\r\n\r\ndata: one\r\ndata: two\r\n\r\nevent: hello\rdata: {}\r\r\n');
      expect(events).to.deep.equal([
        { event: 'message', data: 'one\ntwo' },
        { event: 'hello', data: '{}' },
      ]);
    });

    it('waits for the next chunk when a chunk ends between CR and LF', () => {
      const parser = new SseParser();
      expect(parser.push('data: x\r')).to.deep.equal([]);
      expect(parser.push('\n\r\n')).to.deep.equal([{ event: 'message', data: 'x' }]);
    });
  });

  describe('formatting', () => {
    it('shows minor units in the currency with its own number of decimals', () => {
      expect(formatMoney({ amount: 1250, currency: 'EUR' }, 'en-US')).to.equal('€12.50');
      expect(formatMoney({ amount: 1250, currency: 'JPY' }, 'en-US')).to.equal('¥1,250');
      // Intl separates code and symbol from the number with a no-break space
      expect(formatMoney({ amount: 1250, currency: 'KWD' }, 'en-US')).to.match(/^KWD\s1\.250$/);
      expect(formatMoney({ amount: 123456, currency: 'EUR' }, 'de-DE')).to.match(/^1\.234,56\s€$/);
    });

    it('falls back to the bare code for a currency Intl does not know', () => {
      expect(formatMoney({ amount: 5, currency: 'NOT-A-CODE' }, 'en-US')).to.equal('5 NOT-A-CODE');
    });

    it('prints whole chart values without decimals', () => {
      expect(formatMajor(1200, 'EUR', 'en-US')).to.equal('€1,200');
      expect(formatMajor(12.5, 'EUR', 'en-US')).to.equal('€12.50');
    });

    it('shows a dash rather than 0 % when nothing was placed', () => {
      expect(formatPercent(0, 0, 'en-US')).to.equal('—');
      expect(formatPercent(1, 3, 'en-US')).to.equal('33.3%');
    });

    it('sums up each kind of promotion rule in a few words', () => {
      expect(describeRule({ kind: 'PercentOff', basisPoints: 1250 }, 'en-US')).to.equal('12.5 % off the order');
      expect(describeRule({ kind: 'PercentOff', basisPoints: 1000, skus: ['A-1', 'B-2'] }, 'en-US')).to.equal(
        '10 % off A-1, B-2',
      );
      const eur = (amount: number) => ({ amount, currency: 'EUR' });
      expect(describeRule({ kind: 'AmountOffOrder', amount: eur(1000), threshold: eur(5000) }, 'en-US')).to.equal(
        '€10.00 off from €50.00',
      );
      expect(describeRule({ kind: 'BuyNGetMFree', sku: 'MUG-1', buy: 2, free: 1 }, 'en-US')).to.equal(
        'Buy 2 get 1 free: MUG-1',
      );
      expect(describeRule({ kind: 'BundlePrice', skus: ['A-1', 'B-2'], price: eur(2000) }, 'en-US')).to.equal(
        'A-1 + B-2 for €20.00',
      );
      expect(describeRule(null)).to.equal('—');
    });

    it('turns type names into words', () => {
      expect(humanize('PartiallyRefunded')).to.equal('Partially refunded');
      expect(humanize('OrderPlaced')).to.equal('Order placed');
    });
  });

  describe('sales statistics', () => {
    const now = Date.parse('2026-03-01T10:20:00.000Z');

    it('takes the last 24 whole UTC hours, the current one included', () => {
      expect(hourWindow(now, 24)).to.deep.equal({
        from: '2026-02-28T11:00:00.000Z',
        to: '2026-03-01T11:00:00.000Z',
      });
    });

    it('fills the hours without orders with zeros, in order', () => {
      const series = filled(
        [bucket('2026-03-01T10:00:00.000Z', 2), bucket('2026-03-01T08:00:00.000Z', 1)],
        hourWindow(now, 3),
        'hour',
      );
      expect(series.map((b) => [b.start.slice(11, 13), b.ordersPlaced])).to.deep.equal([
        ['08', 1],
        ['09', 0],
        ['10', 2],
      ]);
    });

    it('adds up counts and revenue per currency', () => {
      const sum = totals([
        bucket('2026-03-01T09:00:00.000Z', 1, { EUR: 1250 }),
        bucket('2026-03-01T10:00:00.000Z', 2, { EUR: 2500, USD: 900 }),
      ]);
      expect(sum.placed).to.equal(3);
      expect(sum.revenue).to.deep.equal({ EUR: 3750, USD: 900 });
    });
  });

  describe('finding the API', () => {
    it('looks for /v1 beside the page, wherever the page is served', () => {
      expect(apiRoot('/')).to.equal('/');
      expect(apiRoot('/dashboard')).to.equal('/');
      expect(apiRoot('/dashboard/')).to.equal('/');
      expect(apiRoot('/shop/ops/dashboard')).to.equal('/shop/ops/');
    });
  });
});
