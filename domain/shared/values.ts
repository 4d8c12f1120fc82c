import * as t from 'io-ts';

/** Branded, validated primitives shared by every centre. Decoded at the edges; the domain only sees these. */

const nonBlank = (s: string, max: number): boolean => s.trim().length > 0 && s.length <= max;

export interface SkuBrand {
  readonly Sku: unique symbol;
}
/** Stock keeping unit: letters, digits, dash, underscore, dot; 1..64 chars. */
export const Sku = t.brand(
  t.string,
  (s): s is t.Branded<string, SkuBrand> => /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s),
  'Sku',
);
export type Sku = t.TypeOf<typeof Sku>;

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface OrderIdBrand {
  readonly OrderId: unique symbol;
}
export const OrderId = t.brand(t.string, (s): s is t.Branded<string, OrderIdBrand> => idPattern.test(s), 'OrderId');
export type OrderId = t.TypeOf<typeof OrderId>;

export interface CustomerIdBrand {
  readonly CustomerId: unique symbol;
}
export const CustomerId = t.brand(
  t.string,
  (s): s is t.Branded<string, CustomerIdBrand> => idPattern.test(s),
  'CustomerId',
);
export type CustomerId = t.TypeOf<typeof CustomerId>;

export interface RefundIdBrand {
  readonly RefundId: unique symbol;
}
export const RefundId = t.brand(t.string, (s): s is t.Branded<string, RefundIdBrand> => idPattern.test(s), 'RefundId');
export type RefundId = t.TypeOf<typeof RefundId>;

export interface NonNegativeIntBrand {
  readonly NonNegativeInt: unique symbol;
}
export const NonNegativeInt = t.brand(
  t.number,
  (n): n is t.Branded<number, NonNegativeIntBrand> => Number.isSafeInteger(n) && n >= 0,
  'NonNegativeInt',
);
export type NonNegativeInt = t.TypeOf<typeof NonNegativeInt>;

export interface QuantityBrand {
  readonly Quantity: unique symbol;
}
/** A positive whole number of units, at most one million per line. */
export const Quantity = t.brand(
  t.number,
  (n): n is t.Branded<number, QuantityBrand> => Number.isSafeInteger(n) && n > 0 && n <= 1_000_000,
  'Quantity',
);
export type Quantity = t.TypeOf<typeof Quantity>;

export interface CurrencyBrand {
  readonly Currency: unique symbol;
}
/** ISO 4217 alphabetic code (three upper-case letters). */
export const Currency = t.brand(
  t.string,
  (s): s is t.Branded<string, CurrencyBrand> => /^[A-Z]{3}$/.test(s),
  'Currency',
);
export type Currency = t.TypeOf<typeof Currency>;

export interface TimestampBrand {
  readonly Timestamp: unique symbol;
}
/** An ISO-8601 UTC instant such as 2026-01-31T12:00:00.000Z. Time always comes in from outside the domain. */
export const Timestamp = t.brand(
  t.string,
  (s): s is t.Branded<string, TimestampBrand> =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(s) && !Number.isNaN(Date.parse(s)),
  'Timestamp',
);
export type Timestamp = t.TypeOf<typeof Timestamp>;

export interface ReasonBrand {
  readonly Reason: unique symbol;
}
/** Free text given by a person or a saga (1..500 chars, not blank). */
export const Reason = t.brand(t.string, (s): s is t.Branded<string, ReasonBrand> => nonBlank(s, 500), 'Reason');
export type Reason = t.TypeOf<typeof Reason>;

export interface NameBrand {
  readonly Name: unique symbol;
}
export const Name = t.brand(t.string, (s): s is t.Branded<string, NameBrand> => nonBlank(s, 200), 'Name');
export type Name = t.TypeOf<typeof Name>;

/** Compare two instants given as Timestamps. */
export const isAtOrAfter = (a: Timestamp, b: Timestamp): boolean => Date.parse(a) >= Date.parse(b);

/**
 * Builders for trusted literals (tests, fixtures, values computed by the domain itself). They throw on an
 * invalid value because that is a programming error, never user input: user input goes through the codecs.
 */
const make =
  <A, O>(codec: t.Type<A, O>) =>
  (value: unknown): A => {
    if (!codec.is(value)) throw new TypeError(`invalid ${codec.name}: ${JSON.stringify(value)}`);
    return value;
  };
export const sku = make(Sku);
export const orderId = make(OrderId);
export const customerId = make(CustomerId);
export const refundId = make(RefundId);
export const quantity = make(Quantity);
export const nonNegativeInt = make(NonNegativeInt);
export const currency = make(Currency);
export const timestamp = make(Timestamp);
export const reason = make(Reason);
export const name = make(Name);
