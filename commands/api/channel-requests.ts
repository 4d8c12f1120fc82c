import * as t from 'io-ts';
import { RefundWindowDays } from '../../domain/channels';
import { DepositBasisPoints, DurationMs, MinorAmount, TradeType } from '../../domain/order';
import { Currency, Name, PromotionId, PurchaseLimit, Timestamp, isoCurrencyCodes } from '../../domain/shared';
import { BoundedArrayType, closed } from '../../http/validate';

/** HTTP bodies (and the CHANNELS file) for channel profiles. Closed: an unknown field is a 400 naming it. */

export const CodTermsBody = closed('CodTermsRequest', { maxAmount: MinorAmount, currency: Currency });

export const PresaleTermsBody = closed('PresaleTermsRequest', {
  depositBasisPoints: DepositBasisPoints,
  balanceFrom: Timestamp,
  balanceUntil: Timestamp,
  lateBalance: t.union([t.literal('keepDeposit'), t.literal('refundDeposit')]),
});

export const ChannelProfileBody = closed(
  'ChannelProfileRequest',
  {
    name: Name,
    tradeTypes: new BoundedArrayType('ChannelTradeTypes', TradeType, 1, 3, 'each at most once (else 422)'),
    currencies: new BoundedArrayType(
      'ChannelCurrencies',
      Currency,
      0,
      isoCurrencyCodes.length,
      'empty: any currency; each at most once (else 422)',
    ),
    paymentTimeoutMs: DurationMs,
    reservationTtlMs: DurationMs,
    promotions: t.union([
      t.literal('all'),
      new BoundedArrayType('ChannelPromotionIds', PromotionId, 0, 1000, 'the promotions that apply; each once'),
    ]),
    partialRefunds: t.boolean,
    refundWindowDays: t.union([RefundWindowDays, t.null]),
  },
  { purchaseLimitPerCustomer: PurchaseLimit, cod: CodTermsBody, presale: PresaleTermsBody },
);
export type ChannelProfileBody = t.TypeOf<typeof ChannelProfileBody>;
