import * as t from 'io-ts';
import { CodTerms, DurationMs, PresaleTerms, RefundWindowMs, TradeType, type OrderTerms } from '../order';
import {
  Currency,
  Name,
  PromotionId,
  PurchaseLimit,
  channelId,
  constrainedInteger,
  name,
  type ChannelId,
  type Money,
  type Timestamp,
  type PromotionId as PromotionIdType,
} from '../shared';

export interface RefundWindowDaysBrand {
  readonly RefundWindowDays: unique symbol;
}
/** Days after shipment during which a refund may be asked for: 0 (none after shipment) to 3,650. */
export const RefundWindowDays = constrainedInteger<'RefundWindowDays', RefundWindowDaysBrand>('RefundWindowDays', {
  minimum: 0,
  maximum: 3650,
});
export type RefundWindowDays = t.TypeOf<typeof RefundWindowDays>;

/** Which promotions of the book apply to a channel's orders: every one, or those listed. */
export const ChannelPromotions = t.union([t.literal('all'), t.readonlyArray(PromotionId)], 'ChannelPromotions');
export type ChannelPromotions = t.TypeOf<typeof ChannelPromotions>;

/**
 * A channel's profile: the extension points where one front end differs from another. Every amount is an integer
 * (money in minor units, durations in milliseconds). Rules across fields (a reservation outliving the payment
 * timeout, COD terms for the COD trade type, …) are the channel book's (`profileProblem`).
 */
export const ChannelProfile = t.intersection(
  [
    t.readonly(
      t.strict({
        name: Name,
        /** trade types the channel's orders may use (at least one) */
        tradeTypes: t.readonlyArray(TradeType),
        /** currencies its orders may be in; empty: any */
        currencies: t.readonlyArray(Currency),
        paymentTimeoutMs: DurationMs,
        /** must exceed paymentTimeoutMs, or reservations would lapse while the payment may still come */
        reservationTtlMs: DurationMs,
        promotions: ChannelPromotions,
        partialRefunds: t.boolean,
        /** null: refunds at any time after shipment */
        refundWindowDays: t.union([RefundWindowDays, t.null]),
      }),
    ),
    t.readonly(
      t.exact(
        t.partial({
          /** applied per SKU to this channel's orders when the SKU has no limit of its own */
          purchaseLimitPerCustomer: PurchaseLimit,
          cod: CodTerms,
          presale: PresaleTerms,
        }),
      ),
    ),
  ],
  'ChannelProfile',
);
export type ChannelProfile = t.TypeOf<typeof ChannelProfile>;

const dayMs = 86_400_000;

/** A trusted value of a codec (constants and values computed here); a wrong one is a programming error. */
const trusted = <A>(codec: t.Type<A, unknown>, value: unknown): A => {
  if (!codec.is(value)) throw new TypeError(`invalid ${codec.name}: ${JSON.stringify(value)}`);
  return value;
};

/** The channel that applies while no channel is defined (no CHANNELS file, no PUT): what every order got before. */
export const defaultChannelId: ChannelId = channelId('default');

/**
 * The built-in profile of `default`: standard orders in any currency, every promotion, partial refunds, no refund
 * window. Its durations are the saga's own defaults, shown for reading; orders placed through it carry no terms, so
 * the saga's configured timeouts apply to them exactly as before channels existed.
 */
export const builtInDefaultProfile: ChannelProfile = {
  name: name('Default'),
  tradeTypes: ['standard'],
  currencies: [],
  paymentTimeoutMs: trusted(DurationMs, 15 * 60_000),
  reservationTtlMs: trusted(DurationMs, 30 * 60_000),
  promotions: 'all',
  partialRefunds: true,
  refundWindowDays: null,
};

/** The terms an order placed through this channel carries, frozen at placement. */
export const orderTermsOf = (profile: ChannelProfile): OrderTerms => ({
  paymentTimeoutMs: profile.paymentTimeoutMs,
  reservationTtlMs: profile.reservationTtlMs,
  partialRefunds: profile.partialRefunds,
  refundWindowMs: profile.refundWindowDays === null ? null : trusted(RefundWindowMs, profile.refundWindowDays * dayMs),
  ...(profile.purchaseLimitPerCustomer === undefined
    ? {}
    : { purchaseLimitPerCustomer: profile.purchaseLimitPerCustomer }),
  ...(profile.cod === undefined ? {} : { cod: profile.cod }),
  ...(profile.presale === undefined ? {} : { presale: profile.presale }),
});

/** Whether a promotion of the book applies to the channel's orders. */
export const appliesToChannel = (profile: ChannelProfile, promotionId: PromotionIdType): boolean =>
  profile.promotions === 'all' || profile.promotions.includes(promotionId);

/** What a placement asks of its channel, known once the order is priced. */
export interface ChannelPlacement {
  readonly channel: ChannelId;
  readonly tradeType: TradeType;
  readonly currency: Currency;
  readonly total: Money;
  /** when the order is placed: a pre-sale is taken only before its balance window ends */
  readonly at: Timestamp;
}
