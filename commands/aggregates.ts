import {
  inventoryDecider,
  inventoryEvents,
  skuStreamId,
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
} from '../domain/inventory';
import {
  orderDecider,
  orderEvents,
  orderStreamId,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
} from '../domain/order';
import {
  paymentDecider,
  paymentEvents,
  paymentStreamId,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
} from '../domain/payment';
import type { AggregateType } from './command-handler';

export const orderAggregate: AggregateType<OrderCommand, OrderState, OrderEvent> = {
  name: 'order',
  decider: orderDecider,
  events: orderEvents,
  streamId: (command) => orderStreamId(command.orderId),
};

export const inventoryAggregate: AggregateType<InventoryCommand, InventoryState, InventoryEvent> = {
  name: 'sku',
  decider: inventoryDecider,
  events: inventoryEvents,
  streamId: (command) => skuStreamId(command.sku),
};

export const paymentAggregate: AggregateType<PaymentCommand, PaymentState, PaymentEvent> = {
  name: 'payment',
  decider: paymentDecider,
  events: paymentEvents,
  streamId: (command) => paymentStreamId(command.orderId),
};
