import { expect } from 'chai';
import { get, scenario, startTestApi, type TestApi } from '../api-spec';
import { appendEvents } from '../projections/append-events';
import {
  couponDefined,
  couponRedeemed,
  couponReleased,
  couponReserved,
  orderCancelled,
  orderPlaced,
  promotionDefined,
  promotionEnded,
} from '../projections/fixtures';

const fresh = (position: number) => ({ 'X-Min-Position': String(position) });

interface PromotionView {
  readonly promotionId: string;
  readonly status: string | null;
  readonly orders: number;
  readonly discountTotal: { readonly amount: number; readonly currency: string };
}

const ids = (body: Record<string, unknown>): string[] => (body.items as PromotionView[]).map((p) => p.promotionId);

/**
 * The book on 2026-03-01: `now` (active since 09:00, open-ended), `later` (from 2026-03-05), `expired` (until 10:00),
 * `stopped` (ended at 11:00), `tomorrow-only` (ended before it started).
 */
const book = () => [
  promotionDefined({ promotionId: 'now', name: 'Now', validFrom: '2026-03-01T09:00:00Z', at: '2026-03-01T08:00:00Z' }),
  promotionDefined({
    promotionId: 'later',
    name: 'Later',
    validFrom: '2026-03-05T00:00:00Z',
    at: '2026-03-01T08:00:00Z',
  }),
  promotionDefined({
    promotionId: 'expired',
    name: 'Expired',
    validFrom: '2026-02-01T00:00:00Z',
    validUntil: '2026-03-01T10:00:00Z',
    at: '2026-03-01T08:00:00Z',
  }),
  promotionDefined({
    promotionId: 'stopped',
    name: 'Stopped',
    validFrom: '2026-02-01T00:00:00Z',
    at: '2026-03-01T08:00:00Z',
  }),
  promotionEnded({ promotionId: 'stopped', at: '2026-03-01T11:00:00Z' }),
  promotionDefined({
    promotionId: 'tomorrow-only',
    name: 'Tomorrow only',
    validFrom: '2026-03-02T00:00:00Z',
    validUntil: '2026-03-03T00:00:00Z',
    at: '2026-03-01T08:00:00Z',
  }),
  promotionEnded({ promotionId: 'tomorrow-only', at: '2026-03-01T08:30:00Z' }),
];

describe('the read API of promotions and coupons', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  describe('GET /v1/promotions', () => {
    it('lists every promotion by id with its status at the moment asked for', async () => {
      const position = await appendEvents(api.store, ...book());
      await scenario(api)
        .when(get('/v1/promotions?at=2026-03-01T10:30:00Z', fresh(position)))
        .then(200, (body) => {
          expect(body.at).to.equal('2026-03-01T10:30:00.000Z');
          const status = Object.fromEntries((body.items as PromotionView[]).map((p) => [p.promotionId, p.status]));
          expect(status).to.deep.equal({
            expired: 'ended',
            later: 'scheduled',
            now: 'active',
            stopped: 'active',
            'tomorrow-only': 'ended',
          });
          expect(ids(body)).to.deep.equal(['expired', 'later', 'now', 'stopped', 'tomorrow-only']);
        });
    });

    it('filters by status, computed against the moment asked for (validFrom ≤ at < end)', async () => {
      const position = await appendEvents(api.store, ...book());
      const at = async (instant: string, status: string): Promise<string[]> => {
        const r = await api.request(get(`/v1/promotions?status=${status}&at=${instant}`, fresh(position)));
        expect(r.status).to.equal(200);
        return ids(r.body);
      };
      expect(await at('2026-03-01T10:30:00Z', 'active')).to.deep.equal(['now', 'stopped']);
      expect(await at('2026-03-01T10:30:00Z', 'scheduled')).to.deep.equal(['later']);
      expect(await at('2026-03-01T10:30:00Z', 'ended')).to.deep.equal(['expired', 'tomorrow-only']);
      // an end is exclusive, a start inclusive
      expect(await at('2026-03-01T11:00:00Z', 'active')).to.deep.equal(['now']);
      expect(await at('2026-03-01T09:00:00Z', 'active')).to.deep.equal(['expired', 'now', 'stopped']);
      expect(await at('2026-03-05T00:00:00Z', 'active')).to.deep.equal(['later', 'now']);
      expect(await at('2026-03-01T08:59:59.999Z', 'scheduled')).to.deep.equal(['later', 'now']);
    });

    it('computes the status at the time of the request when no moment is named, and says which', async () => {
      const position = await appendEvents(api.store, ...book());
      const r = await api.request(get('/v1/promotions?status=active', fresh(position)));
      const at = String(r.body.at);
      expect(Date.parse(at)).to.not.be.NaN;
      const same = await api.request(get(`/v1/promotions?status=active&at=${at}`));
      expect(ids(r.body)).to.deep.equal(ids(same.body));
      expect(ids(r.body)).to.include('now');
    });

    it('pages by id with a cursor, visiting every promotion once', async () => {
      const position = await appendEvents(api.store, ...book());
      const seen: string[] = [];
      let next: string | undefined;
      do {
        const path = `/v1/promotions?limit=2${next ? `&cursor=${encodeURIComponent(next)}` : ''}`;
        const r = await api.request(get(path, fresh(position)));
        expect(r.status).to.equal(200);
        expect((r.body.items as unknown[]).length).to.be.at.most(2);
        seen.push(...ids(r.body));
        next = r.body.next as string | undefined;
      } while (next);
      expect(seen).to.deep.equal(['expired', 'later', 'now', 'stopped', 'tomorrow-only']);
    });

    it('rejects an unknown status, a bad moment or cursor and unknown parameters with 400', async () => {
      const r = await scenario(api)
        .when(get('/v1/promotions?status=running&at=yesterday&colour=red'))
        .thenProblem(400, '/problems/validation-failed');
      const fields = (r.body.errors as { field: string }[]).map((e) => e.field);
      expect(fields).to.include.members(['status', 'at', 'colour']);
      await scenario(api).when(get('/v1/promotions?cursor=not-a-cursor')).thenProblem(400, '/problems/invalid-cursor');
    });
  });

  describe('GET /v1/promotions/{promotionId}', () => {
    it('answers the promotion with the orders and discount it gave, less a cancelled order, once the write is read', async () => {
      const first = orderPlaced({ orderId: 'o-1', promotions: [{ promotionId: 'now', amount: 250 }] });
      const position = await appendEvents(
        api.store,
        ...book(),
        first,
        orderPlaced({ orderId: 'o-2', promotions: [{ promotionId: 'now', amount: 120 }] }),
        orderCancelled({ orderId: 'o-1', pricing: first.pricing }),
      );
      await scenario(api)
        .when(get('/v1/promotions/now?at=2026-03-01T10:30:00Z', fresh(position)))
        .then(200, (body, response) => {
          expect(body).to.deep.include({
            promotionId: 'now',
            name: 'Now',
            status: 'active',
            orders: 1,
            ordersCancelled: 1,
            discountTotal: { amount: 120, currency: 'EUR' },
            discountCancelled: { amount: 250, currency: 'EUR' },
            rule: { kind: 'PercentOff', basisPoints: 1000 },
          });
          expect(Number(response.headers.get('x-projection-position'))).to.be.at.least(position);
          expect(response.headers.get('x-stale')).to.equal(null);
        });
    });

    it('answers 404 problem+json for an unknown promotion, 400 for an id no promotion can have', async () => {
      await scenario(api).when(get('/v1/promotions/nope')).thenProblem(404, '/problems/promotion-not-found');
      await scenario(api).when(get('/v1/promotions/n%20o')).thenProblem(400, '/problems/validation-failed');
    });

    it('says how stale the answer is when the position is not reached in time', async () => {
      await appendEvents(api.store, ...book());
      const response = await scenario(api)
        .when(get('/v1/promotions/now', fresh(1_000_000)))
        .then(200);
      expect(response.headers.get('x-stale')).to.equal('true');
      expect(Number(response.headers.get('x-stale-by'))).to.be.above(0);
    }).timeout(10_000);
  });

  describe('GET /v1/coupons/{code}', () => {
    it('answers the coupon’s use and the redemptions left, without its bookkeeping of orders', async () => {
      const position = await appendEvents(
        api.store,
        couponDefined({ code: 'SPRING-10', promotionId: 'now', totalLimit: 5, perCustomerLimit: 1 }),
        couponReserved({ code: 'SPRING-10', orderId: 'o-1', customer: 'c-1' }),
        couponReserved({ code: 'SPRING-10', orderId: 'o-2', customer: 'c-2' }),
        couponReserved({ code: 'SPRING-10', orderId: 'o-3', customer: 'c-3' }),
        couponRedeemed({ code: 'SPRING-10', orderId: 'o-1' }),
        couponReleased({ code: 'SPRING-10', orderId: 'o-2' }),
      );
      await scenario(api)
        .when(get('/v1/coupons/SPRING-10', fresh(position)))
        .then(200, (body) => {
          expect(body).to.deep.include({
            code: 'SPRING-10',
            promotionId: 'now',
            totalLimit: 5,
            perCustomerLimit: 1,
            reserved: 1,
            redeemed: 1,
            released: 1,
            redemptionsLeft: 3,
          });
          expect(body).not.to.have.property('holding');
        });
    });

    it('answers 404 problem+json for an unknown code', async () => {
      await scenario(api).when(get('/v1/coupons/NOPE-1')).thenProblem(404, '/problems/coupon-not-found');
      await scenario(api).when(get('/v1/coupons/x')).thenProblem(400, '/problems/validation-failed');
    });

    it('rejects a malformed X-Min-Position with 400', async () => {
      await scenario(api)
        .when(get('/v1/coupons/SPRING-10', { 'X-Min-Position': 'soon' }))
        .thenProblem(400, '/problems/invalid-min-position');
    });
  });

  describe('GET /v1/coupons', () => {
    it('lists coupons by code, of one promotion when asked, a page at a time', async () => {
      const position = await appendEvents(
        api.store,
        couponDefined({ code: 'CODE-C', promotionId: 'now' }),
        couponDefined({ code: 'CODE-A', promotionId: 'later' }),
        couponDefined({ code: 'CODE-B', promotionId: 'now' }),
      );
      const first = await api.request(get('/v1/coupons?limit=2', fresh(position)));
      expect((first.body.items as { code: string }[]).map((c) => c.code)).to.deep.equal(['CODE-A', 'CODE-B']);
      const rest = await api.request(get(`/v1/coupons?limit=2&cursor=${String(first.body.next)}`));
      expect((rest.body.items as { code: string }[]).map((c) => c.code)).to.deep.equal(['CODE-C']);
      expect(rest.body.next).to.equal(undefined);
      const ofNow = await api.request(get('/v1/coupons?promotionId=now', fresh(position)));
      expect((ofNow.body.items as { code: string }[]).map((c) => c.code)).to.deep.equal(['CODE-B', 'CODE-C']);
    });
  });

  describe('GET /v1/stats/sales', () => {
    it('adds the discounts given and taken back per currency and per promotion, and empty ones where none was', async () => {
      const discounted = orderPlaced({
        orderId: 'o-1',
        promotions: [{ promotionId: 'now', amount: 250 }],
        at: '2026-03-01T10:05:00Z',
      });
      const position = await appendEvents(
        api.store,
        discounted,
        orderPlaced({ orderId: 'o-2', at: '2026-03-01T11:05:00Z' }),
        orderCancelled({ orderId: 'o-1', pricing: discounted.pricing, at: '2026-03-01T12:05:00Z' }),
      );
      const r = await api.request(
        get('/v1/stats/sales?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&granularity=hour', fresh(position)),
      );
      expect(r.status).to.equal(200);
      const buckets = r.body.buckets as Record<string, unknown>[];
      expect(buckets.map((b) => [b.start, b.discounts, b.discountsCancelled, b.discountsByPromotion])).to.deep.equal([
        ['2026-03-01T10:00:00.000Z', { EUR: 250 }, {}, { now: 250 }],
        ['2026-03-01T11:00:00.000Z', {}, {}, {}],
        ['2026-03-01T12:00:00.000Z', {}, { EUR: 250 }, {}],
      ]);
      expect(buckets[2]).to.deep.include({ discountsCancelledByPromotion: { now: 250 }, ordersCancelled: 1 });
    });
  });
});
