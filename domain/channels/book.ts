import type * as E from 'fp-ts/Either';
import { accept, isAtOrAfter, PersistentMap, reject, type ChannelId, type Decider, type Timestamp } from '../shared';
import type { ChannelCommand } from './commands';
import { channelError, type ChannelError } from './errors';
import type { ChannelEvent } from './events';
import { builtInDefaultProfile, defaultChannelId, type ChannelProfile } from './profile';

/** Every channel lives in one book (`channels-default`), read on every placement like the promotion book. */
export const channelBookId = 'default';

export const channelBookStreamId = (bookId: string = channelBookId): string => `channels-${bookId}`;

export interface Channel {
  readonly channelId: ChannelId;
  readonly profile: ChannelProfile;
  readonly definedAt: Timestamp;
}

/** A book is never "undefined": an empty book holds no channels (and the built-in `default` applies). */
export interface ChannelBookState {
  readonly channels: ReadonlyMap<ChannelId, Channel>;
}

/** A channel's profile as a placement sees it; `builtIn`: the `default` of an empty book, which freezes no terms. */
export interface ResolvedChannel {
  readonly channelId: ChannelId;
  readonly profile: ChannelProfile;
  readonly builtIn: boolean;
}

/**
 * The profile a channel id names: a defined channel, or, while the book is empty, the built-in `default` (so an
 * engine configured without channels places orders exactly as before). Undefined for any other channel.
 */
export const resolveChannel = (state: ChannelBookState, channelId: ChannelId): ResolvedChannel | undefined => {
  const defined = state.channels.get(channelId);
  if (defined) return { channelId, profile: defined.profile, builtIn: false };
  return state.channels.size === 0 && channelId === defaultChannelId
    ? { channelId, profile: builtInDefaultProfile, builtIn: true }
    : undefined;
};

/** The channels a reader sees: those defined, or the built-in `default` alone while none is. */
export const listedChannels = (state: ChannelBookState): readonly ResolvedChannel[] =>
  state.channels.size === 0
    ? [{ channelId: defaultChannelId, profile: builtInDefaultProfile, builtIn: true }]
    : [...state.channels.values()]
        .map(({ channelId, profile }) => ({ channelId, profile, builtIn: false }))
        .sort((a, b) => (a.channelId < b.channelId ? -1 : a.channelId > b.channelId ? 1 : 0));

const repeated = <A>(items: readonly A[]): A[] => [...new Set(items.filter((item, i) => items.indexOf(item) !== i))];

/** The first rule across fields a profile breaks (the codec checked each field alone), naming the field; or undefined. */
export const profileProblem = (profile: ChannelProfile): ChannelError | undefined => {
  if (profile.tradeTypes.length === 0) {
    return channelError('NoTradeType', 'tradeTypes must name at least one trade type', { field: 'tradeTypes' });
  }
  const lists: [string, readonly string[]][] = [
    ['tradeTypes', profile.tradeTypes],
    ['currencies', profile.currencies],
    ['promotions', profile.promotions === 'all' ? [] : profile.promotions],
  ];
  for (const [field, items] of lists) {
    const twice = repeated(items);
    if (twice.length > 0) {
      return channelError('DuplicateProfileItem', `${field} lists ${twice.join(', ')} more than once`, {
        field,
        items: twice,
      });
    }
  }
  if (profile.reservationTtlMs <= profile.paymentTimeoutMs) {
    return channelError(
      'ReservationTtlTooShort',
      `reservationTtlMs (${profile.reservationTtlMs}) must exceed paymentTimeoutMs (${profile.paymentTimeoutMs}), or stock would be released while the payment may still come`,
      {
        field: 'reservationTtlMs',
        reservationTtlMs: profile.reservationTtlMs,
        paymentTimeoutMs: profile.paymentTimeoutMs,
      },
    );
  }
  for (const tradeType of ['cod', 'presale'] as const) {
    const allowed = profile.tradeTypes.includes(tradeType);
    const terms = profile[tradeType];
    if (allowed && terms === undefined) {
      return channelError('TradeTermsMissing', `tradeTypes allows ${tradeType}, so ${tradeType} must give its terms`, {
        field: tradeType,
      });
    }
    if (!allowed && terms !== undefined) {
      return channelError('TradeTermsUnused', `${tradeType} is given, but tradeTypes does not allow ${tradeType}`, {
        field: tradeType,
      });
    }
  }
  const cod = profile.cod;
  if (cod !== undefined && profile.currencies.length > 0 && !profile.currencies.includes(cod.currency)) {
    return channelError(
      'CodCurrencyNotAllowed',
      `cod.currency ${cod.currency} is not among the channel's currencies (${profile.currencies.join(', ')})`,
      { field: 'cod.currency', currency: cod.currency },
    );
  }
  const presale = profile.presale;
  if (presale !== undefined && isAtOrAfter(presale.balanceFrom, presale.balanceUntil)) {
    return channelError(
      'PresaleWindowEmpty',
      `presale.balanceUntil (${presale.balanceUntil}) must be after balanceFrom (${presale.balanceFrom})`,
      { field: 'presale.balanceUntil', balanceFrom: presale.balanceFrom, balanceUntil: presale.balanceUntil },
    );
  }
  return undefined;
};

/** Structural equality of decoded JSON-like values; an `undefined` property counts as absent. */
export const sameProfile = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const present = (o: object): [string, unknown][] =>
    Object.entries(o).filter(([, value]) => value !== undefined) as [string, unknown][];
  const left = present(a);
  const right = new Map(present(b));
  return (
    left.length === right.size && left.every(([key, value]) => right.has(key) && sameProfile(value, right.get(key)))
  );
};

type Decision = E.Either<ChannelError, readonly ChannelEvent[]>;

const decide = (command: ChannelCommand, state: ChannelBookState): Decision => {
  const { channelId, profile, at } = command;
  const problem = profileProblem(profile);
  if (problem) return reject(problem);
  const current = state.channels.get(channelId);
  // an identical profile is a redelivery, a restart seeding the same file, or a no-op edit: nothing to record
  if (current && sameProfile(current.profile, profile)) return accept<ChannelEvent>();
  return accept<ChannelEvent>({ type: 'ChannelDefined', channelId, profile, at });
};

const evolve = (state: ChannelBookState, event: ChannelEvent): ChannelBookState => ({
  channels: PersistentMap.from(state.channels).set(event.channelId, {
    channelId: event.channelId,
    profile: event.profile,
    definedAt: event.at,
  }),
});

export const channelBookDecider: Decider<ChannelCommand, ChannelBookState, ChannelEvent, ChannelError> = {
  initialState: { channels: PersistentMap.empty() },
  evolve,
  decide,
};
