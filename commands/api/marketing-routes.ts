import express, { type Router } from 'express';
import { placementRefusal } from '../../domain/channels';
import * as E from 'fp-ts/Either';
import { couponRedemptionsLeft, promotionBookStreamId, type CouponState, type Promotion } from '../../domain/pricing';
import {
  CouponCode,
  PromotionId,
  Sku,
  domainError,
  timestamp,
  type DomainError,
  type Timestamp,
} from '../../domain/shared';
import { couponCentre, inventoryCentre, promotionsCentre } from '../../domain/centres';
import { decodeOr400 } from '../../http/validate';
import { requireScope } from '../../http/middleware';
import type { Clock } from '../../ports/clock';
import type { CommandHandler } from '../command-handler';
import type { Quote, QuoteOrder } from '../pricing';
import { commandContext, param, rejected, skuView, unwrap } from './route-helpers';
import { requestChannel } from './channel-routes';
import { CouponBody, EndPromotionBody, PromotionBody, PurchaseLimitBody, QuoteBody } from './marketing-requests';

export interface MarketingApiDeps {
  readonly handler: CommandHandler;
  readonly quote: QuoteOrder;
  readonly clock: Clock;
}

/** The pricing centre's commands (scope `marketing:write`) and quotes (scope `orders:write`). */
export const marketingRoutes = ({ handler, quote, clock }: MarketingApiDeps): Router => {
  const router = express.Router();
  const now = (): Timestamp => timestamp(clock.now().toISOString());

  router.put('/promotions/:promotionId', requireScope('marketing:write'), async (req, res) => {
    const promotionId = param(PromotionId, req, 'promotionId');
    const { exclusive, requiresCoupon, ...body } = decodeOr400(PromotionBody, req.body, 'promotion');
    const definition = { ...body, exclusive: exclusive ?? false, requiresCoupon: requiresCoupon ?? false };
    const before = await handler.load(promotionsCentre, promotionBookStreamId());
    const result = unwrap(
      await handler.handle(
        promotionsCentre,
        { type: 'DefinePromotion', promotionId, definition, at: now() },
        commandContext(req, res),
      ),
    );
    const created = result.events.length > 0 && !before.state.promotions.has(promotionId);
    res.status(created ? 201 : 200).json(promotionView(result.state.promotions.get(promotionId), result.position));
  });

  router.post('/promotions/:promotionId/end', requireScope('marketing:write'), async (req, res) => {
    const promotionId = param(PromotionId, req, 'promotionId');
    decodeOr400(EndPromotionBody, req.body ?? {});
    const result = unwrap(
      await handler.handle(
        promotionsCentre,
        { type: 'EndPromotion', promotionId, at: now() },
        commandContext(req, res),
      ),
    );
    res.status(200).json(promotionView(result.state.promotions.get(promotionId), result.position));
  });

  router.put('/coupons/:code', requireScope('marketing:write'), async (req, res) => {
    const code = param(CouponCode, req, 'code');
    const body = decodeOr400(CouponBody, req.body, 'coupon');
    // the book is another aggregate: a coupon naming a promotion nobody defined is refused here, not by the coupon
    const book = await handler.load(promotionsCentre, promotionBookStreamId());
    if (!book.state.promotions.has(body.promotionId)) rejected(unknownPromotion(body.promotionId));
    const result = unwrap(
      await handler.handle(couponCentre, { type: 'DefineCoupon', code, ...body, at: now() }, commandContext(req, res)),
    );
    const created = result.previousRevision < 0 && (result.events.length > 0 || result.duplicate);
    res.status(created ? 201 : 200).json(couponView(result.state, result.position));
  });

  router.put('/skus/:sku/purchase-limit', requireScope('marketing:write'), async (req, res) => {
    const sku = param(Sku, req, 'sku');
    const body = decodeOr400(PurchaseLimitBody, req.body, 'purchase limit');
    const result = unwrap(
      await handler.handle(
        inventoryCentre,
        { type: 'SetPurchaseLimit', sku, perCustomer: body.perCustomer, at: now() },
        commandContext(req, res),
      ),
    );
    res.status(200).json(skuView(result.state, result.position));
  });

  router.post('/quotes', requireScope('orders:write'), async (req, res) => {
    const { channel: requested, tradeType, ...body } = decodeOr400(QuoteBody, req.body, 'quote');
    const channel = await requestChannel(handler, res, requested);
    const at = now();
    const quoted = await quote({ ...body, channel: channel.profile, at });
    if (E.isLeft(quoted)) return rejected(quoted.left);
    // a quote reports what the channel would refuse, like every other refusal of the placement
    const channelRefusal = placementRefusal(channel.profile, {
      channel: channel.channelId,
      tradeType: tradeType ?? 'standard',
      currency: quoted.right.priced.currency,
      total: quoted.right.priced.total,
      at,
    });
    const withChannel =
      channelRefusal === undefined
        ? quoted.right
        : { ...quoted.right, refusals: [channelRefusal, ...quoted.right.refusals] };
    res.status(200).json({ ...quoteView(body.customerId, withChannel, at), channel: channel.channelId });
  });

  return router;
};

const unknownPromotion = (promotionId: PromotionId): DomainError =>
  domainError('UnknownPromotion', 'rule_violation', `promotion ${promotionId} is not defined`, { promotionId });

export const promotionView = (promotion: Promotion | undefined, position: number) =>
  promotion === undefined
    ? { position }
    : {
        promotionId: promotion.promotionId,
        ...promotion.definition,
        definedAt: promotion.definedAt,
        ...(promotion.endedAt === undefined ? {} : { endedAt: promotion.endedAt }),
        position,
      };

export const couponView = (state: CouponState, position: number) =>
  state.status !== 'Active'
    ? { position }
    : {
        code: state.code,
        promotionId: state.promotionId,
        totalLimit: state.totalLimit,
        perCustomerLimit: state.perCustomerLimit,
        reserved: state.reserved,
        redeemed: state.redeemed,
        redemptionsLeft: couponRedemptionsLeft(state),
        position,
      };

const quoteView = (customerId: string, quote: Quote, at: Timestamp) => {
  const { priced } = quote;
  return {
    customerId,
    currency: priced.currency,
    lines: priced.lines.map((line, i) => ({ ...line, available: quote.available[i] ?? 0 })),
    listTotal: priced.listTotal,
    discount: priced.discount,
    total: priced.total,
    promotions: priced.applied,
    ...(quote.coupon === undefined ? {} : { coupon: quote.coupon }),
    refusals: quote.refusals.map(({ code, message, details }) => ({
      code,
      message,
      ...(details === undefined ? {} : { details }),
    })),
    pricedAt: at,
  };
};
