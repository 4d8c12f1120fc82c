import * as t from 'io-ts';
import {
  ChannelId,
  CustomerId,
  NonNegativeInt,
  PromotionId,
  Sku,
  Timestamp,
  constrainedString,
  withConstraints,
} from '../domain/shared';
import { TradeType } from '../domain/order';
import { closed } from '../http/validate';

/**
 * Query-string and header codecs of the read API: numbers arrive as text of decimal digits (leading zeros allowed),
 * are parsed, then bounded; the bounds are published as the parameter's integer schema.
 */
const wholeNumber = (name: string, minimum: number, maximum: number) =>
  withConstraints(
    new t.Type<number, string, unknown>(
      name,
      (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= minimum && u <= maximum,
      (u, c) => {
        const n = typeof u === 'string' && /^\d{1,20}$/.test(u) ? Number(u) : NaN;
        return n >= minimum && n <= maximum
          ? t.success(n)
          : t.failure(u, c, `expected a whole number from ${minimum} to ${maximum}`);
      },
      String,
    ),
    { type: 'integer', minimum, maximum },
  );

/** A global log position from a command response (`minPosition`, `X-Min-Position`). */
export const MinPosition = wholeNumber('MinPosition', 0, Number.MAX_SAFE_INTEGER);

const Limit = wholeNumber('Limit', 1, 500);

/** An opaque page cursor (base64url); one this endpoint did not hand out is a 400 `invalid-cursor`. */
const Cursor = constrainedString<'Cursor', { readonly Cursor: unique symbol }>('Cursor', {
  pattern: /^[A-Za-z0-9_-]+$/,
});

const BooleanString = t.keyof({ true: null, false: null }, 'true|false');

export const OrderStatusFilter = t.keyof(
  {
    Placed: null,
    Confirmed: null,
    Shipped: null,
    Cancelled: null,
    PartiallyRefunded: null,
    Refunded: null,
    AwaitingBalance: null,
    Delivered: null,
    PartiallyShipped: null,
  },
  'OrderStatus',
);

const minPosition = { minPosition: MinPosition };

export const ListOrdersQuery = closed(
  'ListOrdersQuery',
  {},
  {
    status: OrderStatusFilter,
    customerId: CustomerId,
    channel: ChannelId,
    tradeType: TradeType,
    from: Timestamp,
    to: Timestamp,
    limit: Limit,
    cursor: Cursor,
    ...minPosition,
  },
);

export const ListSkusQuery = closed(
  'ListSkusQuery',
  {},
  { lowStock: BooleanString, limit: Limit, cursor: Cursor, ...minPosition },
);

export const SalesQuery = closed(
  'SalesQuery',
  { from: Timestamp, to: Timestamp },
  { granularity: t.keyof({ hour: null, day: null }, 'hour|day'), ...minPosition },
);

/** Computed against the request time (or `at`): active from validFrom until its end, scheduled before, ended after. */
export const PromotionStatusFilter = t.keyof({ active: null, scheduled: null, ended: null }, 'PromotionStatus');

export const ListPromotionsQuery = closed(
  'ListPromotionsQuery',
  {},
  { status: PromotionStatusFilter, at: Timestamp, limit: Limit, cursor: Cursor, ...minPosition },
);

export const PromotionQuery = closed('PromotionQuery', {}, { at: Timestamp, ...minPosition });

export const ListCouponsQuery = closed(
  'ListCouponsQuery',
  {},
  { promotionId: PromotionId, limit: Limit, cursor: Cursor, ...minPosition },
);

export const ReadOnlyQuery = closed('Query', {}, minPosition);

export { NonNegativeInt, Sku };
