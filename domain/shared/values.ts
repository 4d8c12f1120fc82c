import * as t from 'io-ts';
import { constrainedInteger, constrainedString, maxSafeInteger, notBlank } from './constraints';

/**
 * Branded, validated primitives shared by every centre. Decoded at the edges; the domain only sees these. Each
 * carries its constraints as data (./constraints), from which the published OpenAPI document is derived.
 */

export interface SkuBrand {
  readonly Sku: unique symbol;
}
/** Stock keeping unit: letters, digits, dash, underscore, dot; 1..64 chars. */
export const Sku = constrainedString<'Sku', SkuBrand>('Sku', { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/ });
export type Sku = t.TypeOf<typeof Sku>;

export interface WarehouseIdBrand {
  readonly WarehouseId: unique symbol;
}
/** A warehouse holding stock of SKUs: letters, digits, dash, underscore, dot; 1..32 chars. */
export const WarehouseId = constrainedString<'WarehouseId', WarehouseIdBrand>('WarehouseId', {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/,
});
export type WarehouseId = t.TypeOf<typeof WarehouseId>;

const idPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface OrderIdBrand {
  readonly OrderId: unique symbol;
}
export const OrderId = constrainedString<'OrderId', OrderIdBrand>('OrderId', { pattern: idPattern });
export type OrderId = t.TypeOf<typeof OrderId>;

export interface CustomerIdBrand {
  readonly CustomerId: unique symbol;
}
export const CustomerId = constrainedString<'CustomerId', CustomerIdBrand>('CustomerId', { pattern: idPattern });
export type CustomerId = t.TypeOf<typeof CustomerId>;

export interface RefundIdBrand {
  readonly RefundId: unique symbol;
}
export const RefundId = constrainedString<'RefundId', RefundIdBrand>('RefundId', { pattern: idPattern });
export type RefundId = t.TypeOf<typeof RefundId>;

export interface PromotionIdBrand {
  readonly PromotionId: unique symbol;
}
/** A promotion's id, chosen by the marketer (`PUT /v1/promotions/{id}`). */
export const PromotionId = constrainedString<'PromotionId', PromotionIdBrand>('PromotionId', { pattern: idPattern });
export type PromotionId = t.TypeOf<typeof PromotionId>;

export interface ChannelIdBrand {
  readonly ChannelId: unique symbol;
}
/** A sales channel (business identity) such as `mall` or `pos`, named in the CHANNELS file or by an admin. */
export const ChannelId = constrainedString<'ChannelId', ChannelIdBrand>('ChannelId', { pattern: idPattern });
export type ChannelId = t.TypeOf<typeof ChannelId>;

export interface CouponCodeBrand {
  readonly CouponCode: unique symbol;
}
/** A coupon code as customers type it: letters, digits, dash and underscore, 3..32 characters, case-sensitive. */
export const CouponCode = constrainedString<'CouponCode', CouponCodeBrand>('CouponCode', {
  pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$/,
});
export type CouponCode = t.TypeOf<typeof CouponCode>;

export interface NonNegativeIntBrand {
  readonly NonNegativeInt: unique symbol;
}
export const NonNegativeInt = constrainedInteger<'NonNegativeInt', NonNegativeIntBrand>('NonNegativeInt', {
  minimum: 0,
  maximum: maxSafeInteger,
});
export type NonNegativeInt = t.TypeOf<typeof NonNegativeInt>;

export interface QuantityBrand {
  readonly Quantity: unique symbol;
}
/** A positive whole number of units, at most one million per line. */
export const Quantity = constrainedInteger<'Quantity', QuantityBrand>('Quantity', { minimum: 1, maximum: 1_000_000 });
export type Quantity = t.TypeOf<typeof Quantity>;

export interface PurchaseLimitBrand {
  readonly PurchaseLimit: unique symbol;
}
/** How many units of one SKU a customer may hold in live orders at once (1..1000). */
export const PurchaseLimit = constrainedInteger<'PurchaseLimit', PurchaseLimitBrand>('PurchaseLimit', {
  minimum: 1,
  maximum: 1000,
});
export type PurchaseLimit = t.TypeOf<typeof PurchaseLimit>;

export interface CurrencyBrand {
  readonly Currency: unique symbol;
}
/**
 * ISO 4217 codes of the currencies in circulation (list one, 2025), sorted. Left out on purpose: codes that are not
 * money a customer pays with — funds codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals, bond-market
 * units, XDR, XSU, XUA, the testing code XTS and "no currency" XXX — and withdrawn codes (ANG → XCG, BGN → EUR,
 * CUC, HRK, SLL, ZWL). A fixed list keeps the domain pure and the OpenAPI enum exact.
 */
export const isoCurrencyCodes: readonly string[] = `
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY
COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR
ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU
UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
`
  .trim()
  .split(/\s+/);

/** An active ISO 4217 alphabetic code (see `isoCurrencyCodes`); `[A-Z]{3}` alone would let `XXX` or `AAA` through. */
export const Currency = constrainedString<'Currency', CurrencyBrand>('Currency', { enum: isoCurrencyCodes });
export type Currency = t.TypeOf<typeof Currency>;

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** Whether day `day` (1-based) exists in month `month` (1..12) of `year`, in the proleptic Gregorian calendar. */
const dayExists = (year: number, month: number, day: number): boolean => {
  const days =
    month === 2 ? (isLeapYear(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day >= 1 && day <= days;
};

export interface TimestampBrand {
  readonly Timestamp: unique symbol;
}
/** An ISO-8601 UTC instant such as 2026-01-31T12:00:00.000Z. Time always comes in from outside the domain. */
export const Timestamp = constrainedString<'Timestamp', TimestampBrand>('Timestamp', {
  pattern: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?Z$/,
  format: 'date-time',
  // Date.parse rolls 2026-02-30 over to March; a date-time names a day that exists (the pattern has checked the
  // digits and ranges; this reads them in place, as every stored event's timestamps are checked on every read)
  also: (s) => dayExists(Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10))),
});
export type Timestamp = t.TypeOf<typeof Timestamp>;

export interface ReasonBrand {
  readonly Reason: unique symbol;
}
/** Free text given by a person or a saga (1..500 chars, not blank). */
export const Reason = constrainedString<'Reason', ReasonBrand>('Reason', {
  pattern: notBlank,
  minLength: 1,
  maxLength: 500,
});
export type Reason = t.TypeOf<typeof Reason>;

export interface NameBrand {
  readonly Name: unique symbol;
}
export const Name = constrainedString<'Name', NameBrand>('Name', { pattern: notBlank, minLength: 1, maxLength: 200 });
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
export const warehouseId = make(WarehouseId);
/** The warehouse of stock that names none: every stock event written before warehouses existed. */
export const mainWarehouse: WarehouseId = warehouseId('main');
export const orderId = make(OrderId);
export const customerId = make(CustomerId);
export const refundId = make(RefundId);
export const promotionId = make(PromotionId);
export const channelId = make(ChannelId);
export const couponCode = make(CouponCode);
export const quantity = make(Quantity);
export const nonNegativeInt = make(NonNegativeInt);
export const currency = make(Currency);
export const timestamp = make(Timestamp);
export const reason = make(Reason);
export const name = make(Name);
