import {
  inventoryDecider,
  inventoryEvents,
  skuStreamId,
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
} from './inventory';
import { orderDecider, orderEvents, orderStreamId, type OrderCommand, type OrderEvent, type OrderState } from './order';
import {
  paymentDecider,
  paymentEvents,
  paymentStreamId,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
} from './payment';
import {
  couponDecider,
  couponEvents,
  couponStreamId,
  promotionBookDecider,
  promotionBookStreamId,
  promotionEvents,
  type CouponCommand,
  type CouponEvent,
  type CouponState,
  type PromotionBookState,
  type PromotionCommand,
  type PromotionEvent,
} from './pricing';
import {
  channelBookDecider,
  channelBookStreamId,
  channelEvents,
  type ChannelBookState,
  type ChannelCommand,
  type ChannelEvent,
} from './channels';
import type { Decider, EventRegistry } from './shared';

/**
 * A centre: one event-sourced aggregate type with its decider and stored events, the stream a command goes to,
 * and the topic its events travel on in distributed mode (streams are routed to topics by `streamPrefix`).
 */
export interface Centre<Name extends string, C, S, Ev extends { readonly type: string }> {
  /** short name used in metrics, saga command targets and stream ids, e.g. `order` */
  readonly name: Name;
  readonly streamPrefix: string;
  readonly topic: string;
  readonly decider: Decider<C, S, Ev>;
  readonly events: EventRegistry<Ev>;
  readonly streamId: (command: C) => string;
  /** the stream an event of this centre is appended to (the same as its command's) */
  readonly eventStreamId: (event: Ev) => string;
}

export const orderCentre: Centre<'order', OrderCommand, OrderState, OrderEvent> = {
  name: 'order',
  streamPrefix: 'order-',
  topic: 'orders',
  decider: orderDecider,
  events: orderEvents,
  streamId: (command) => orderStreamId(command.orderId),
  eventStreamId: (event) => orderStreamId(event.orderId),
};

export const inventoryCentre: Centre<'sku', InventoryCommand, InventoryState, InventoryEvent> = {
  name: 'sku',
  streamPrefix: 'sku-',
  topic: 'inventory',
  decider: inventoryDecider,
  events: inventoryEvents,
  streamId: (command) => skuStreamId(command.sku),
  eventStreamId: (event) => skuStreamId(event.sku),
};

export const paymentCentre: Centre<'payment', PaymentCommand, PaymentState, PaymentEvent> = {
  name: 'payment',
  streamPrefix: 'payment-',
  topic: 'payments',
  decider: paymentDecider,
  events: paymentEvents,
  streamId: (command) => paymentStreamId(command.orderId),
  eventStreamId: (event) => paymentStreamId(event.orderId),
};

/** Every promotion sits in one book stream (`promotions-default`), so pricing reads them all with one load. */
export const promotionsCentre: Centre<'promotions', PromotionCommand, PromotionBookState, PromotionEvent> = {
  name: 'promotions',
  streamPrefix: 'promotions-',
  topic: 'promotions',
  decider: promotionBookDecider,
  events: promotionEvents,
  streamId: () => promotionBookStreamId(),
  eventStreamId: () => promotionBookStreamId(),
};

export const couponCentre: Centre<'coupon', CouponCommand, CouponState, CouponEvent> = {
  name: 'coupon',
  streamPrefix: 'coupon-',
  topic: 'coupons',
  decider: couponDecider,
  events: couponEvents,
  streamId: (command) => couponStreamId(command.code),
  eventStreamId: (event) => couponStreamId(event.code),
};

/** Every channel's profile sits in one book stream (`channels-default`), read on every placement like the promotions. */
export const channelsCentre: Centre<'channels', ChannelCommand, ChannelBookState, ChannelEvent> = {
  name: 'channels',
  streamPrefix: 'channels-',
  topic: 'channels',
  decider: channelBookDecider,
  events: channelEvents,
  streamId: () => channelBookStreamId(),
  eventStreamId: () => channelBookStreamId(),
};

/**
 * Every centre, listed once. The event unions, the projections' decoders and the Kafka topics derive from this
 * list; adding a centre is a folder under domain/ plus one entry here (docs/architecture.md walks through it).
 */
export const centres = [
  orderCentre,
  inventoryCentre,
  paymentCentre,
  promotionsCentre,
  couponCentre,
  channelsCentre,
] as const;

export type AnyCentre = (typeof centres)[number];

type EventOf<C> = C extends { readonly events: EventRegistry<infer Ev> } ? Ev : never;

/** Every event of every centre: what projections and sagas react to. */
export type DomainEvent = EventOf<AnyCentre>;

/** The domain event types a centre registers (each once, whatever versions of it are stored). */
export const domainEventTypesOf = (centre: AnyCentre): readonly DomainEvent['type'][] => [
  ...new Set(centre.events.readableTypes.values()),
];

// sound: each event type maps to the stream function of the centre whose registry declares that type
const streamOfType = new Map<string, (event: DomainEvent) => string>(
  centres.flatMap((centre) =>
    domainEventTypesOf(centre).map((type) => [type, centre.eventStreamId as (event: DomainEvent) => string] as const),
  ),
);

/** The stream any centre's event is appended to. */
export const streamIdOfEvent = (event: DomainEvent): string => {
  const streamOf = streamOfType.get(event.type);
  if (streamOf === undefined) throw new Error(`no centre declares the event type ${event.type}`);
  return streamOf(event);
};
