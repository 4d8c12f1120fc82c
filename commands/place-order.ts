import * as E from 'fp-ts/Either';
import { available, skuStreamId } from '../domain/inventory';
import { PlaceOrder, type OrderEvent, type OrderState, type PlaceOrderLine } from '../domain/order';
import {
  domainError,
  fieldErrors,
  type DomainError,
  type FieldError,
  type Quantity,
  type Sku,
  type Timestamp,
} from '../domain/shared';
import { inventoryCentre, orderCentre } from '../domain/centres';
import type { CommandContext, CommandError, CommandHandler, Handled } from './command-handler';

export interface OrderLineRequest {
  readonly sku: Sku;
  readonly quantity: Quantity;
}

/** A priced line, with the units the inventory centre could reserve for it now where the pricing source knows. */
export interface PricedLine extends PlaceOrderLine {
  readonly available?: number;
}

/**
 * Prices an order's lines. The command side is given this service so that prices never come from the client and
 * placing an order can be tested without HTTP; the catalogue is today's implementation, a pricing centre tomorrow's.
 */
export type PriceLines = (lines: readonly OrderLineRequest[]) => Promise<E.Either<DomainError, readonly PricedLine[]>>;

/**
 * List prices from the inventory centre's catalogue entries, with what each SKU has available (the entry is loaded
 * anyway); a SKU not in the catalogue is `UnknownSku`.
 */
export const cataloguePrices =
  (handler: CommandHandler): PriceLines =>
  async (lines) => {
    const entries = await Promise.all(lines.map((line) => handler.load(inventoryCentre, skuStreamId(line.sku))));
    const priced: PricedLine[] = [];
    for (const [i, line] of lines.entries()) {
      const state = entries[i]?.state;
      if (state?.status !== 'Active') {
        return E.left(
          domainError('UnknownSku', 'rule_violation', `sku ${line.sku} is not in the catalogue`, { sku: line.sku }),
        );
      }
      priced.push({ sku: line.sku, quantity: line.quantity, unitPrice: state.unitPrice, available: available(state) });
    }
    return E.right(priced);
  };

/** Ids and token as the edge received them; `PlaceOrder`'s codec checks them with the priced lines. */
export interface PlaceOrderRequest {
  readonly orderId: string;
  readonly customerId: string;
  readonly lines: readonly OrderLineRequest[];
  readonly paymentToken: string;
  readonly at: Timestamp;
}

/** The priced command broke a rule of its shape (no lines, a SKU twice, …); each problem names its field. */
export interface InvalidOrder {
  readonly code: 'InvalidOrder';
  readonly category: 'invalid';
  readonly errors: readonly FieldError[];
}

export type PlaceOrderError = CommandError | InvalidOrder;

/** Prices the lines, builds `PlaceOrder` in the order's currency, and hands it to the order centre. */
export const placeOrder = async (
  deps: {
    readonly handler: CommandHandler;
    readonly priceLines: PriceLines;
    /** refuse at once what the stock cannot serve now (see `refusedForStock`) */
    readonly soldOutFastPath?: boolean;
  },
  request: PlaceOrderRequest,
  context: CommandContext,
): Promise<E.Either<PlaceOrderError, Handled<OrderState, OrderEvent>>> => {
  if (request.lines.length === 0) return invalid([{ field: 'lines', message: 'at least one line is required' }]);
  const priced = await deps.priceLines(request.lines);
  if (E.isLeft(priced)) return priced;
  const command = PlaceOrder.decode({
    type: 'PlaceOrder',
    orderId: request.orderId,
    customerId: request.customerId,
    currency: priced.right[0]?.unitPrice.currency,
    lines: priced.right.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    paymentToken: request.paymentToken,
    at: request.at,
  });
  if (E.isLeft(command)) return invalid(fieldErrors(command.left));
  const soldOut =
    deps.soldOutFastPath === true ? await refusedForStock(deps.handler, priced.right, context) : undefined;
  if (soldOut !== undefined) return E.left(soldOut);
  return deps.handler.handle(orderCentre, command.right, context);
};

/**
 * The sold-out fast path: an order for more of a SKU than it has available now is refused at once (422
 * `OutOfStock`), instead of being accepted and cancelled by the saga a moment later. It only refuses what the
 * reservation would refuse at this moment, and never a repeat of a request already accepted (same idempotency key):
 * that one answers its first result. Stock stays guarded by the reservation, so the fast path cannot oversell.
 */
const refusedForStock = async (
  handler: CommandHandler,
  lines: readonly PricedLine[],
  context: CommandContext,
): Promise<DomainError | undefined> => {
  const short = lines.filter((line) => line.available !== undefined && line.available < line.quantity);
  if (short.length === 0 || (await handler.handled(context.commandId))) return undefined;
  const what = short.map((line) => `${line.sku} has ${line.available ?? 0} available, ${line.quantity} requested`);
  return domainError('OutOfStock', 'rule_violation', `out of stock: ${what.join('; ')}`, {
    lines: short.map((line) => ({ sku: line.sku, requested: line.quantity, available: line.available ?? 0 })),
  });
};

const invalid = (errors: readonly FieldError[]): E.Either<InvalidOrder, never> =>
  E.left({ code: 'InvalidOrder', category: 'invalid', errors });
