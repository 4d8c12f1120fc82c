import * as E from 'fp-ts/Either';
import { skuStreamId } from '../domain/inventory';
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

/**
 * Prices an order's lines. The command side is given this service so that prices never come from the client and
 * placing an order can be tested without HTTP; the catalogue is today's implementation, a pricing centre tomorrow's.
 */
export type PriceLines = (
  lines: readonly OrderLineRequest[],
) => Promise<E.Either<DomainError, readonly PlaceOrderLine[]>>;

/** List prices from the inventory centre's catalogue entries; a SKU not in the catalogue is `UnknownSku`. */
export const cataloguePrices =
  (handler: CommandHandler): PriceLines =>
  async (lines) => {
    const entries = await Promise.all(lines.map((line) => handler.load(inventoryCentre, skuStreamId(line.sku))));
    const priced: PlaceOrderLine[] = [];
    for (const [i, line] of lines.entries()) {
      const state = entries[i]?.state;
      if (state?.status !== 'Active') {
        return E.left(
          domainError('UnknownSku', 'rule_violation', `sku ${line.sku} is not in the catalogue`, { sku: line.sku }),
        );
      }
      priced.push({ sku: line.sku, quantity: line.quantity, unitPrice: state.unitPrice });
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
  deps: { readonly handler: CommandHandler; readonly priceLines: PriceLines },
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
    lines: priced.right,
    paymentToken: request.paymentToken,
    at: request.at,
  });
  if (E.isLeft(command)) return invalid(fieldErrors(command.left));
  return deps.handler.handle(orderCentre, command.right, context);
};

const invalid = (errors: readonly FieldError[]): E.Either<InvalidOrder, never> =>
  E.left({ code: 'InvalidOrder', category: 'invalid', errors });
