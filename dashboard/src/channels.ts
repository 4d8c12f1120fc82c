/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { h } from './dom';
import { dayWindow } from './stats';
import type { ChannelSales, SalesBucket, SalesStats } from './types';
import type { ViewContext } from './view';

/** How far back the selector looks for channels that sold something (the read scope cannot list the profiles). */
const CHANNEL_DAYS = 90;

export const TRADE_TYPES = ['standard', 'presale', 'cod'] as const;

/** The channels named in these buckets' breakdowns, sorted. */
export const channelsIn = (buckets: readonly SalesBucket[]): string[] =>
  [...new Set(buckets.flatMap((b) => Object.keys(b.byChannel ?? {})))].sort();

/** The channels that placed orders in the last CHANNEL_DAYS days. */
export const recentChannels = async (ctx: ViewContext, signal: AbortSignal): Promise<string[]> => {
  const window = dayWindow(ctx.now(), CHANNEL_DAYS);
  const params = new URLSearchParams({ from: window.from, to: window.to, granularity: 'day' });
  const answer = await ctx.api.get<SalesStats>(`stats/sales?${params.toString()}`, signal);
  return channelsIn(answer.body.buckets);
};

const none: ChannelSales = { ordersPlaced: 0, unitsOrdered: 0, orderValue: {}, discounts: {} };

/** One channel's part of a bucket (zeros when it placed nothing there). */
export const channelPart = (bucket: SalesBucket, channel: string): ChannelSales => {
  const byChannel = bucket.byChannel ?? {};
  return Object.hasOwn(byChannel, channel) ? (byChannel[channel] ?? none) : none;
};

/**
 * A `<select>` of channels: "All channels" and each one known, the selected one kept even before it is known (a
 * shared link). `refill` updates the options in place, so keyboard focus stays on the control.
 */
export const channelSelect = (
  id: string,
  selected: string,
): { readonly element: HTMLSelectElement; refill(channels: readonly string[]): void } => {
  const element = h('select', { id, name: 'channel' });
  let current = selected;
  element.addEventListener('change', () => {
    current = element.value;
  });
  const refill = (channels: readonly string[]): void => {
    const names = [...new Set([...channels, ...(current === '' ? [] : [current])])].sort();
    element.replaceChildren(
      h('option', { value: '' }, 'All channels'),
      ...names.map((c) => h('option', { value: c, selected: c === current }, c)),
    );
    element.value = current;
  };
  refill([]);
  return { element, refill };
};
