import * as t from 'io-ts';
import { Currency, NonNegativeInt, nonNegativeInt } from './values';

/** Money is an integer amount of minor units (cents) in one ISO currency. Never a float. */
export const Money = t.readonly(t.strict({ amount: NonNegativeInt, currency: Currency }), 'Money');
export type Money = t.TypeOf<typeof Money>;

export const money = (amount: number, cur: Currency): Money => ({ amount: nonNegativeInt(amount), currency: cur });
export const zero = (cur: Currency): Money => money(0, cur);

export const sameCurrency = (a: Money, b: Money): boolean => a.currency === b.currency;

const assertSame = (a: Money, b: Money): void => {
  if (!sameCurrency(a, b)) throw new TypeError(`currency mismatch: ${a.currency} vs ${b.currency}`);
};

export const add = (a: Money, b: Money): Money => {
  assertSame(a, b);
  return money(a.amount + b.amount, a.currency);
};

/** a − b, floored at zero is NOT done here: callers check `lte` first; a negative result is a bug. */
export const subtract = (a: Money, b: Money): Money => {
  assertSame(a, b);
  return money(a.amount - b.amount, a.currency);
};

export const times = (a: Money, factor: number): Money => money(a.amount * factor, a.currency);

export const lte = (a: Money, b: Money): boolean => {
  assertSame(a, b);
  return a.amount <= b.amount;
};

export const isZero = (a: Money): boolean => a.amount === 0;

export const sum = (cur: Currency, items: readonly Money[]): Money => items.reduce(add, zero(cur));
