import * as t from 'io-ts';
import { CustomerId, NonNegativeInt, Sku, Timestamp } from '../domain/shared';
import { closed } from '../infra/http/validate';

/** Query-string codecs of the read API: numbers arrive as strings, so they are parsed before the brand check. */
const IntFromString = new t.Type<number, string, unknown>(
  'IntegerString',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u),
  (u, c) =>
    typeof u === 'string' && /^\d{1,15}$/.test(u) ? t.success(Number(u)) : t.failure(u, c, 'expected a whole number'),
  String,
);

const Limit = new t.Type<number, string, unknown>(
  'Limit(1..500)',
  (u): u is number => typeof u === 'number',
  (u, c) => {
    if (typeof u !== 'string' || !/^\d{1,3}$/.test(u)) return t.failure(u, c, 'expected a whole number from 1 to 500');
    const n = Number(u);
    return n >= 1 && n <= 500 ? t.success(n) : t.failure(u, c, 'expected a whole number from 1 to 500');
  },
  String,
);

const BooleanString = t.keyof({ true: null, false: null }, 'true|false');

export const OrderStatusFilter = t.keyof(
  { Placed: null, Confirmed: null, Shipped: null, Cancelled: null, PartiallyRefunded: null, Refunded: null },
  'OrderStatus',
);

const minPosition = { minPosition: IntFromString };

export const ListOrdersQuery = closed(
  'ListOrdersQuery',
  {},
  {
    status: OrderStatusFilter,
    customerId: CustomerId,
    from: Timestamp,
    to: Timestamp,
    limit: Limit,
    cursor: t.string,
    ...minPosition,
  },
);

export const ListSkusQuery = closed(
  'ListSkusQuery',
  {},
  { lowStock: BooleanString, limit: Limit, cursor: t.string, ...minPosition },
);

export const SalesQuery = closed(
  'SalesQuery',
  { from: Timestamp, to: Timestamp },
  { granularity: t.keyof({ hour: null, day: null }, 'hour|day'), ...minPosition },
);

export const ReadOnlyQuery = closed('Query', {}, minPosition);

export { NonNegativeInt, Sku };
