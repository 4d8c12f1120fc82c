import * as E from 'fp-ts/Either';
import { orderTermsOf, placementRefusal, type ResolvedChannel } from '../domain/channels';
import { PlaceOrder, lineListProblem, type OrderEvent, type OrderState, type TradeType } from '../domain/order';
import type { PricedOrder } from '../domain/pricing';
import {
  CustomerId,
  fieldErrors,
  type CouponCode,
  type DomainError,
  type FieldError,
  type Timestamp,
} from '../domain/shared';
import { orderCentre } from '../domain/centres';
import type { CommandContext, CommandError, CommandHandler, Handled } from './command-handler';
import type { OrderLineRequest, Quote, QuoteOrder } from './pricing';

export type { OrderLineRequest } from './pricing';

/** Ids and token as the edge received them; `PlaceOrder`'s codec checks them with the priced lines. */
export interface PlaceOrderRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: readonly OrderLineRequest[];
  readonly couponCode?: CouponCode;
  readonly paymentToken: string;
  readonly at: Timestamp;
  /**
   * The channel the order goes through, resolved by the edge (see `chooseChannel`); absent: none in play (every
   * promotion, no channel checks, no terms), as before channels.
   */
  readonly channel?: ResolvedChannel;
  /** `standard` when absent */
  readonly tradeType?: TradeType;
}

/** The priced command broke a rule of its shape (no lines, a SKU twice, …); each problem names its field. */
export interface InvalidOrder {
  readonly code: 'InvalidOrder';
  readonly category: 'invalid';
  readonly errors: readonly FieldError[];
}

export type PlaceOrderError = CommandError | InvalidOrder;

/**
 * Prices the lines exactly as a quote at this instant would, refuses at once what the quote says the saga would
 * refuse (see `refusalOf`), builds `PlaceOrder` with the price breakdown and hands it to the order centre.
 */
export const placeOrder = async (
  deps: {
    readonly handler: CommandHandler;
    readonly quote: QuoteOrder;
    /** refuse at once what the stock cannot serve now (the sold-out fast path, a flow rule) */
    readonly soldOutFastPath?: boolean;
  },
  request: PlaceOrderRequest,
  context: CommandContext,
): Promise<E.Either<PlaceOrderError, Handled<OrderState, OrderEvent>>> => {
  if (request.lines.length === 0) return invalid([{ field: 'lines', message: 'at least one line is required' }]);
  const linesProblem = lineListProblem(request.lines);
  if (linesProblem !== undefined) return invalid([{ field: 'lines', message: linesProblem }]);
  const customerId = CustomerId.decode(request.customerId);
  if (E.isLeft(customerId)) {
    return invalid(fieldErrors(customerId.left).map((error) => ({ ...error, field: 'customerId' })));
  }
  const quoted = await deps.quote({
    customerId: customerId.right,
    lines: request.lines,
    ...(request.couponCode === undefined ? {} : { couponCode: request.couponCode }),
    ...(request.channel === undefined ? {} : { channel: request.channel.profile }),
    at: request.at,
  });
  if (E.isLeft(quoted)) return quoted;
  const tradeType = request.tradeType ?? 'standard';
  const channel = request.channel;
  const channelRefusal =
    channel === undefined
      ? undefined
      : placementRefusal(channel.profile, {
          channel: channel.channelId,
          tradeType,
          currency: quoted.right.priced.currency,
          total: quoted.right.priced.total,
          at: request.at,
        });
  const command = PlaceOrder.decode({
    type: 'PlaceOrder',
    orderId: request.orderId,
    customerId: request.customerId,
    currency: quoted.right.priced.currency,
    lines: quoted.right.priced.lines.map(({ sku, quantity, unitPrice, discount }) => ({
      sku,
      quantity,
      unitPrice,
      ...(discount.amount > 0 ? { discount } : {}),
    })),
    ...pricingOf(quoted.right.priced, request.couponCode),
    ...channelFieldsOf(channel, tradeType),
    paymentToken: request.paymentToken,
    at: request.at,
  });
  if (E.isLeft(command)) return invalid(fieldErrors(command.left));
  const refusal = await refusalOf(deps, quoted.right, channelRefusal, context);
  if (refusal !== undefined) return E.left(refusal);
  return deps.handler.handle(orderCentre, command.right, context);
};

/**
 * What an order records of its channel: the channel, its trade type and the profile's terms, frozen. An order of the
 * built-in default (no channel defined) records none of them and is placed exactly as before channels.
 */
const channelFieldsOf = (channel: ResolvedChannel | undefined, tradeType: TradeType) =>
  channel === undefined || channel.builtIn
    ? {}
    : { channel: channel.channelId, tradeType, terms: orderTermsOf(channel.profile) };

/** The breakdown an order carries when anything was taken off or a coupon was given (else the lines say it all). */
const pricingOf = (priced: PricedOrder, couponCode: CouponCode | undefined) =>
  priced.discount.amount === 0 && couponCode === undefined
    ? {}
    : {
        pricing: {
          listTotal: priced.listTotal,
          discount: priced.discount,
          promotions: priced.applied.map(({ promotionId, name, amount, viaCoupon }) => ({
            promotionId,
            name,
            amount,
            viaCoupon,
          })),
          ...(couponCode === undefined ? {} : { couponCode }),
        },
      };

/**
 * A placement is refused at once for what its channel does not allow (trade type, currency, cash-on-delivery amount)
 * and for what its reservation would refuse at this moment: a coupon that does not exist,
 * is used up, is at the customer's limit or gives this order nothing; a purchase limit; and, with the sold-out fast
 * path on, stock. Each comes from the state the reservation decides on, so nothing the saga would accept is refused;
 * the saga's reservations stay the guard under races. A repeat of a request already accepted (same idempotency key)
 * is never refused: it answers its first result.
 */
const refusalOf = async (
  deps: { readonly handler: CommandHandler; readonly soldOutFastPath?: boolean },
  quote: Quote,
  channelRefusal: DomainError | undefined,
  context: CommandContext,
): Promise<DomainError | undefined> => {
  const refusals = [
    // what the channel does not allow comes first: no other answer would change it
    ...(channelRefusal === undefined ? [] : [channelRefusal]),
    ...quote.refusals.filter((r) => r.code !== 'OutOfStock' || deps.soldOutFastPath === true),
  ];
  const [first] = refusals;
  if (first === undefined || (await deps.handler.handled(context.commandId))) return undefined;
  // a coupon that does not exist is a field of this order that breaks a rule, not a missing resource of this path
  return first.category === 'not_found' ? { ...first, category: 'rule_violation' } : first;
};

const invalid = (errors: readonly FieldError[]): E.Either<InvalidOrder, never> =>
  E.left({ code: 'InvalidOrder', category: 'invalid', errors });
