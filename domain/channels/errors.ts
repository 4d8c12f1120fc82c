import { domainError, type ChannelId, type DomainError, type ErrorCategory } from '../shared';

/** Every error of the channel book and of a placement checked against its channel, with its fixed category. */
export const channelErrorCategories = {
  UnknownChannel: 'rule_violation',
  TradeTypeNotAllowed: 'rule_violation',
  CurrencyNotAllowed: 'rule_violation',
  CodAmountExceeded: 'rule_violation',
  PresaleClosed: 'rule_violation',

  NoTradeType: 'rule_violation',
  DuplicateProfileItem: 'rule_violation',
  ReservationTtlTooShort: 'rule_violation',
  TradeTermsMissing: 'rule_violation',
  TradeTermsUnused: 'rule_violation',
  CodCurrencyNotAllowed: 'rule_violation',
  PresaleWindowEmpty: 'rule_violation',
} as const satisfies Readonly<Record<string, ErrorCategory>>;

export type ChannelErrorCode = keyof typeof channelErrorCategories;

export type ChannelError = DomainError & { readonly code: ChannelErrorCode };

export const channelError = (
  code: ChannelErrorCode,
  message: string,
  details: Readonly<Record<string, unknown>>,
): ChannelError => domainError(code, channelErrorCategories[code], message, details);

export const unknownChannel = (channel: ChannelId): ChannelError =>
  channelError('UnknownChannel', `channel ${channel} is not defined`, { channel });
