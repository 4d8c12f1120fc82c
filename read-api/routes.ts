import express, { type Request, type Response, type Router } from 'express';
import * as E from 'fp-ts/Either';
import { CouponCode, OrderId, PromotionId, Sku } from '../domain/shared';
import { requireScope } from '../http/middleware';
import { problem, unprocessable } from '../http/problem';
import { decodeOr400 } from '../http/validate';
import type { EventStore } from '../ports/event-store';
import { InvalidCursorError, type FieldFilter, type Page, type ReadStore } from '../ports/read-store';
import type { Projection } from '../projections/projection';
import { LiveCollections, readEntry, rebuildDue } from '../projections/registry';
import { withChannelDefaults } from '../projections/orders/projection';
import { withChannelSales, withDiscounts } from '../projections/sales/projection';
import type { ProjectionProgress } from './progress';
import { promotionStatus, promotionStatusFilter, type PromotionWindow } from './promotion-status';
import {
  ListCouponsQuery,
  ListOrdersQuery,
  ListPromotionsQuery,
  ListSkusQuery,
  MinPosition,
  PromotionQuery,
  ReadOnlyQuery,
  SalesQuery,
} from './queries';

export interface ReadApiDeps {
  readonly readStore: ReadStore;
  readonly progress: ProjectionProgress;
  readonly eventStore: Pick<EventStore, 'headPosition'>;
  readonly projections: readonly Projection<unknown>[];
  /** longest wait for X-Min-Position before answering with what is there */
  readonly maxWaitMs: number;
  /** adds what other read models know about an order (e.g. its saga state) to the order detail */
  readonly orderExtras?: (orderId: string) => Promise<Readonly<Record<string, unknown>>>;
  /** resolves each projection's live collection (blue/green rebuilds); default: the registry, cached 200 ms */
  readonly liveCollections?: LiveCollections;
  /** the request time promotions' status is computed against (unless the request names `at`); default: Date.now */
  readonly now?: () => number;
}

/** `X-Min-Position` wins over `minPosition`; both are checked by the one codec the document is derived from. */
const minPositionOf = (req: Request, fromQuery: number | undefined): number | undefined => {
  const header = req.get('X-Min-Position');
  if (header === undefined) return fromQuery;
  const decoded = MinPosition.decode(header);
  if (E.isLeft(decoded)) {
    throw problem(
      400,
      'InvalidMinPosition',
      'Invalid X-Min-Position',
      'X-Min-Position must be a whole number (a position from a command response)',
    );
  }
  return decoded.right;
};

export const readRoutes = (deps: ReadApiDeps): Router => {
  const router = express.Router();
  const byName = new Map(deps.projections.map((p) => [p.name, p]));
  const live = deps.liveCollections ?? new LiveCollections(deps.readStore);
  // the registry names the live collection: a rebuild's switch reaches every read within the resolver's TTL
  const collection = async (name: string): Promise<string> => {
    const projection = byName.get(name);
    if (!projection) throw new Error(`no projection ${name}`);
    return live.collection(projection);
  };

  /**
   * Read-your-writes: wait (bounded) until the projection reached the client's position; either way, say how
   * fresh the answer is, and how far behind when the wait ran out.
   */
  const fresh = async (
    req: Request,
    res: Response,
    projection: string,
    fromQuery: number | undefined,
  ): Promise<void> => {
    const wanted = minPositionOf(req, fromQuery);
    if (wanted !== undefined) await deps.progress.waitFor(projection, wanted, deps.maxWaitMs);
    const position = await deps.progress.position(projection);
    res.setHeader('X-Projection-Position', String(position));
    if (wanted !== undefined && position < wanted) {
      res.setHeader('X-Stale', 'true');
      res.setHeader('X-Stale-By', String(wanted - position));
    }
  };

  const page = async (run: () => Promise<Page>): Promise<Page> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof InvalidCursorError)
        throw problem(400, 'InvalidCursor', 'Invalid cursor', 'cursor: not a cursor returned by this endpoint');
      throw error;
    }
  };

  const pageBody = (result: Page) => ({
    items: result.items.map((d) => d.body),
    ...(result.next ? { next: result.next } : {}),
  });

  const one = async (req: Request, res: Response, projection: string, id: string, what: string): Promise<void> => {
    const query = decodeOr400(ReadOnlyQuery, req.query, 'query');
    await fresh(req, res, projection, query.minPosition);
    const doc = await deps.readStore.get(await collection(projection), id);
    if (!doc) throw problem(404, `${what}NotFound`, `${what} not found`, `no ${what.toLowerCase()} ${id}`);
    res.json(doc.body);
  };

  router.get('/orders', requireScope('read'), async (req, res) => {
    const query = decodeOr400(ListOrdersQuery, req.query, 'query');
    await fresh(req, res, 'orders', query.minPosition);
    const where: Record<string, FieldFilter> = {};
    if (query.status) where.status = query.status;
    if (query.customerId) where.customerId = query.customerId;
    if (query.channel) where.channel = query.channel;
    if (query.tradeType) where.tradeType = query.tradeType;
    if (query.from || query.to)
      where.placedAt = { ...(query.from ? { gte: query.from } : {}), ...(query.to ? { lt: query.to } : {}) };
    const target = await collection('orders');
    const result = await page(() =>
      deps.readStore.query(target, {
        where,
        orderBy: { field: 'placedAt', direction: 'desc' },
        limit: query.limit ?? 50,
        ...(query.cursor ? { after: query.cursor } : {}),
      }),
    );
    res.json({ ...pageBody(result), items: result.items.map((d) => withChannelDefaults(d.body)) });
  });

  router.get('/orders/:orderId', requireScope('read'), async (req, res) => {
    const id = decodeOr400(OrderId, req.params.orderId, 'orderId');
    const query = decodeOr400(ReadOnlyQuery, req.query, 'query');
    await fresh(req, res, 'orders', query.minPosition);
    const doc = await deps.readStore.get(await collection('orders'), id);
    if (!doc) throw problem(404, 'OrderNotFound', 'Order not found', `no order ${id}`);
    res.json({ ...withChannelDefaults(doc.body), ...(deps.orderExtras ? await deps.orderExtras(id) : {}) });
  });

  router.get('/skus', requireScope('read'), async (req, res) => {
    const query = decodeOr400(ListSkusQuery, req.query, 'query');
    await fresh(req, res, 'skus', query.minPosition);
    const target = await collection('skus');
    const result = await page(() =>
      deps.readStore.query(target, {
        where: query.lowStock ? { lowStock: query.lowStock === 'true' } : {},
        orderBy: { field: 'sku', direction: 'asc' },
        limit: query.limit ?? 100,
        ...(query.cursor ? { after: query.cursor } : {}),
      }),
    );
    res.json(pageBody(result));
  });

  router.get('/skus/:sku', requireScope('read'), async (req, res) => {
    const sku = decodeOr400(Sku, req.params.sku, 'sku');
    await one(req, res, 'skus', sku, 'Sku');
  });

  router.get('/payments/:orderId', requireScope('read'), async (req, res) => {
    const id = decodeOr400(OrderId, req.params.orderId, 'orderId');
    await one(req, res, 'payments', id, 'Payment');
  });

  router.get('/stats/sales', requireScope('read'), async (req, res) => {
    const query = decodeOr400(SalesQuery, req.query, 'query');
    // both are valid date-times, as documented; their order is a rule beyond the schema: 422
    if (Date.parse(query.to) <= Date.parse(query.from))
      throw unprocessable([{ field: 'to', message: 'must be after from' }], 'query');
    await fresh(req, res, 'sales', query.minPosition);
    const granularity = query.granularity ?? 'hour';
    const buckets = [];
    let after: string | undefined;
    // a year of hours is 8,760 buckets: page through rather than trust one limit
    do {
      const result = await deps.readStore.query(await collection('sales'), {
        where: { granularity, start: { gte: query.from, lt: query.to } },
        orderBy: { field: 'start', direction: 'asc' },
        limit: 500,
        ...(after ? { after } : {}),
      });
      // buckets without a discounted order store no discount fields: the answer always has them
      buckets.push(...result.items.map((d) => withChannelSales(withDiscounts(d.body))));
      after = result.next;
    } while (after !== undefined && buckets.length < 20_000);
    res.json({ from: query.from, to: query.to, granularity, buckets });
  });

  const now = deps.now ?? Date.now;

  /** The projection's bookkeeping of which orders hold a reservation stays in the store: a hot coupon has hundreds. */
  const couponView = (body: Readonly<Record<string, unknown>>): Record<string, unknown> => {
    const { holding: _holding, ...view } = body;
    return view;
  };

  /** A promotion as the API answers it: the stored document plus its status at the request time. */
  const withStatus = (body: Readonly<Record<string, unknown>>, at: string): Record<string, unknown> => {
    const window: PromotionWindow = {
      validFrom: typeof body.validFrom === 'string' ? body.validFrom : null,
      activeUntil: typeof body.activeUntil === 'string' ? body.activeUntil : null,
    };
    return { ...body, status: promotionStatus(window, at) };
  };

  /** `at` as the stored instants are written (fixed-width ISO), so the filters compare like with like. */
  const requestTime = (at: string | undefined): string =>
    new Date(at === undefined ? now() : Date.parse(at)).toISOString();

  router.get('/promotions', requireScope('read'), async (req, res) => {
    const query = decodeOr400(ListPromotionsQuery, req.query, 'query');
    await fresh(req, res, 'promotions', query.minPosition);
    const at = requestTime(query.at);
    const target = await collection('promotions');
    const result = await page(() =>
      deps.readStore.query(target, {
        where: query.status ? promotionStatusFilter(query.status, at) : {},
        orderBy: { field: 'promotionId', direction: 'asc' },
        limit: query.limit ?? 50,
        ...(query.cursor ? { after: query.cursor } : {}),
      }),
    );
    res.json({
      at,
      items: result.items.map((d) => withStatus(d.body, at)),
      ...(result.next ? { next: result.next } : {}),
    });
  });

  router.get('/promotions/:promotionId', requireScope('read'), async (req, res) => {
    const id = decodeOr400(PromotionId, req.params.promotionId, 'promotionId');
    const query = decodeOr400(PromotionQuery, req.query, 'query');
    await fresh(req, res, 'promotions', query.minPosition);
    const doc = await deps.readStore.get(await collection('promotions'), id);
    if (!doc) throw problem(404, 'PromotionNotFound', 'Promotion not found', `no promotion ${id}`);
    res.json(withStatus(doc.body, requestTime(query.at)));
  });

  router.get('/coupons', requireScope('read'), async (req, res) => {
    const query = decodeOr400(ListCouponsQuery, req.query, 'query');
    await fresh(req, res, 'coupons', query.minPosition);
    const target = await collection('coupons');
    const result = await page(() =>
      deps.readStore.query(target, {
        where: query.promotionId ? { promotionId: query.promotionId } : {},
        orderBy: { field: 'code', direction: 'asc' },
        limit: query.limit ?? 50,
        ...(query.cursor ? { after: query.cursor } : {}),
      }),
    );
    res.json({ items: result.items.map((d) => couponView(d.body)), ...(result.next ? { next: result.next } : {}) });
  });

  router.get('/coupons/:code', requireScope('read'), async (req, res) => {
    const code = decodeOr400(CouponCode, req.params.code, 'code');
    const query = decodeOr400(ReadOnlyQuery, req.query, 'query');
    await fresh(req, res, 'coupons', query.minPosition);
    const doc = await deps.readStore.get(await collection('coupons'), code);
    if (!doc) throw problem(404, 'CouponNotFound', 'Coupon not found', `no coupon ${code}`);
    res.json(couponView(doc.body));
  });

  router.get('/projections', requireScope('read'), async (req, res) => {
    const query = decodeOr400(ReadOnlyQuery, req.query, 'query');
    // validated like every read route; the wait covers every projection, so the listing reflects the client's write
    const wanted = minPositionOf(req, query.minPosition);
    if (wanted !== undefined)
      await Promise.all(deps.projections.map((p) => deps.progress.waitFor(p.name, wanted, deps.maxWaitMs)));
    const head = await deps.eventStore.headPosition();
    const items = await Promise.all(
      deps.projections.map(async (p) => {
        const position = await deps.progress.position(p.name);
        const { entry } = await readEntry(deps.readStore, p);
        const rebuild = entry.rebuild;
        return {
          name: p.name,
          version: p.version,
          collection: entry.live.collection,
          liveVersion: entry.live.version,
          position,
          lag: Math.max(0, head - position),
          documents: await deps.readStore.count(entry.live.collection),
          rebuildDue: rebuildDue(p, entry),
          ...(rebuild
            ? {
                rebuilding: {
                  target: rebuild.target,
                  version: rebuild.version,
                  state: rebuild.state,
                  position: rebuild.position,
                  head,
                  percent: head > 0 ? Math.min(100, Math.floor((rebuild.position / head) * 100)) : 100,
                },
              }
            : {}),
        };
      }),
    );
    res.json({ head, projections: items });
  });

  return router;
};
