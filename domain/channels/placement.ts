import { isAtOrAfter } from '../shared';
import { channelError, unknownChannel, type ChannelError } from './errors';
import type { ChannelPlacement, ChannelProfile } from './profile';

/**
 * What a channel answers to an order placed through it, once priced: undefined when its profile allows it, else
 * the refusal (422) naming what it does not allow (a pre-sale placed at or after its balance window's end included). `profile` undefined: the channel is not defined.
 */
export const placementRefusal = (
  profile: ChannelProfile | undefined,
  placement: ChannelPlacement,
): ChannelError | undefined => {
  const { channel, tradeType, currency, total, at } = placement;
  if (profile === undefined) return unknownChannel(channel);
  if (!profile.tradeTypes.includes(tradeType)) {
    return channelError(
      'TradeTypeNotAllowed',
      `channel ${channel} does not take ${tradeType} orders (it takes ${profile.tradeTypes.join(', ')})`,
      { field: 'tradeType', channel, tradeType, allowed: profile.tradeTypes },
    );
  }
  if (profile.currencies.length > 0 && !profile.currencies.includes(currency)) {
    return channelError(
      'CurrencyNotAllowed',
      `channel ${channel} sells in ${profile.currencies.join(', ')}, this order is in ${currency}`,
      { channel, currency, allowed: profile.currencies },
    );
  }
  if (tradeType === 'cod') {
    const cod = profile.cod;
    if (cod === undefined || cod.currency !== currency || total.amount > cod.maxAmount) {
      return channelError(
        'CodAmountExceeded',
        cod === undefined
          ? `channel ${channel} gives no cash-on-delivery terms`
          : `channel ${channel} takes cash on delivery up to ${cod.maxAmount} ${cod.currency}; this order is ${total.amount} ${total.currency}`,
        {
          channel,
          total,
          ...(cod === undefined ? {} : { maxAmount: { amount: cod.maxAmount, currency: cod.currency } }),
        },
      );
    }
  }
  if (tradeType === 'presale') {
    const presale = profile.presale;
    // a balance that could no longer be paid would only reserve stock for a cancellation at the deadline
    if (presale !== undefined && isAtOrAfter(at, presale.balanceUntil)) {
      return channelError(
        'PresaleClosed',
        `channel ${channel} took pre-sales until ${presale.balanceUntil}, the end of their balance window`,
        { channel, balanceUntil: presale.balanceUntil, at },
      );
    }
  }
  return undefined;
};
