import * as t from 'io-ts';
import { PurchaseLimit } from '../../domain/inventory';
import { BasisPoints, CouponPerCustomerLimit, CouponTotalLimit, Priority, UnitCount } from '../../domain/pricing';
import { ChannelId, CouponCode, Currency, CustomerId, Name, PromotionId, Sku, Timestamp } from '../../domain/shared';
import { TradeType } from '../../domain/order';
import { BoundedArrayType, TaggedUnionType, closed } from '../../http/validate';
import { MoneyBody, lineList } from './requests';

/** HTTP request bodies of the pricing centre's commands and quotes. Closed: an unknown field is a 400 naming it. */

const kind = <K extends string>(name: K) => t.literal(name);

export const PromotionRuleBody = new TaggedUnionType('PromotionRule', 'kind', {
  PercentOff: closed(
    'PercentOffRule',
    { kind: kind('PercentOff'), basisPoints: BasisPoints },
    { skus: new BoundedArrayType('PromotionSkus', Sku, 1, 100, 'the SKUs it applies to (absent: every line)') },
  ),
  AmountOffOrder: closed('AmountOffOrderRule', {
    kind: kind('AmountOffOrder'),
    amount: MoneyBody,
    threshold: MoneyBody,
  }),
  BuyNGetMFree: closed('BuyNGetMFreeRule', { kind: kind('BuyNGetMFree'), sku: Sku, buy: UnitCount, free: UnitCount }),
  BundlePrice: closed('BundlePriceRule', {
    kind: kind('BundlePrice'),
    skus: new BoundedArrayType('BundleSkus', Sku, 2, 10, 'one unit of each makes a bundle'),
    price: MoneyBody,
  }),
});

export const PromotionBody = closed(
  'PromotionRequest',
  { name: Name, currency: Currency, validFrom: Timestamp, priority: Priority, rule: PromotionRuleBody },
  { validUntil: Timestamp, exclusive: t.boolean, requiresCoupon: t.boolean },
);
export type PromotionBody = t.TypeOf<typeof PromotionBody>;

export const EndPromotionBody = closed('EndPromotionRequest', {});

export const CouponBody = closed('CouponRequest', {
  promotionId: PromotionId,
  totalLimit: CouponTotalLimit,
  perCustomerLimit: CouponPerCustomerLimit,
});
export type CouponBody = t.TypeOf<typeof CouponBody>;

export const PurchaseLimitBody = closed('PurchaseLimitRequest', { perCustomer: t.union([PurchaseLimit, t.null]) });
export type PurchaseLimitBody = t.TypeOf<typeof PurchaseLimitBody>;

export const QuoteBody = closed(
  'QuoteRequest',
  { customerId: CustomerId, lines: lineList('QuoteLines') },
  { couponCode: CouponCode, channel: ChannelId, tradeType: TradeType },
);
export type QuoteBody = t.TypeOf<typeof QuoteBody>;
