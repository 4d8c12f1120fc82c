import * as t from 'io-ts';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { Money } from '../shared';

/**
 * Money that must be above zero (authorize, capture, refund amounts). It keeps the plain `Money` type so sagas
 * can pass amounts they already hold; the decider checks the rule again for commands built in code.
 */
export const PositiveMoney = new t.Type<Money, t.OutputOf<typeof Money>, unknown>(
  'PositiveMoney',
  (u): u is Money => Money.is(u) && u.amount > 0,
  (u, c) =>
    pipe(
      Money.validate(u, c),
      E.chain((m) => (m.amount > 0 ? t.success(m) : t.failure(u, c, 'must be above zero'))),
    ),
  (m) => Money.encode(m),
);

/** Opaque text from the payment provider (tokens, authorization ids, decline codes, messages): 1..500 chars. */
export const ProviderText = new t.Type<string, string, unknown>(
  'ProviderText',
  (u): u is string => typeof u === 'string' && u.trim().length > 0 && u.length <= 500,
  (u, c) =>
    typeof u === 'string' && u.trim().length > 0 && u.length <= 500
      ? t.success(u)
      : t.failure(u, c, `expected ProviderText (1..500 chars, not blank), got ${JSON.stringify(u)}`),
  t.identity,
);

/** 1-based count of failures so far for one authorization (or one refund id); plain number for easy use. */
export const Attempt = new t.Type<number, number, unknown>(
  'Attempt',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 1,
  (u, c) =>
    typeof u === 'number' && Number.isSafeInteger(u) && u >= 1
      ? t.success(u)
      : t.failure(u, c, `expected Attempt (whole number from 1), got ${JSON.stringify(u)}`),
  t.identity,
);

/**
 * Which charge of a pre-sale a payment command or event is about: the deposit taken at placement or the balance
 * paid later, a second authorization and capture on the same payment. Absent: the single charge of a standard order.
 */
export const ChargePart = t.union([t.literal('deposit'), t.literal('balance')], 'ChargePart');
export type ChargePart = t.TypeOf<typeof ChargePart>;

/** The optional `part` every charge command and event may carry. */
export const withPart = t.readonly(t.exact(t.partial({ part: ChargePart })));

/** What a cash payment's record shows where a card payment has the provider's authorization id. */
export const CASH_AUTHORIZATION = 'cash';

/** A cash refund's id in place of the provider's: the money goes back by hand, no provider is asked. */
export const cashRefundId = (refundId: string): string => `cash:${refundId}`;
