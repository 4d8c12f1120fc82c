import * as E from 'fp-ts/Either';
import { channelBookStreamId, sameProfile, type ChannelBookState, type ChannelProfile } from '../domain/channels';
import { domainError, timestamp, type ChannelId, type DomainError } from '../domain/shared';
import { channelsCentre } from '../domain/centres';
import type { Clock } from '../ports/clock';
import { deterministicId } from '../ports/ids';
import type { CommandError, CommandHandler } from './command-handler';

/** The channel book through the handler's cache, caught up from the store: every process reads the same profiles. */
export const loadChannelBook = async (
  handler: CommandHandler,
): Promise<{ state: ChannelBookState; revision: number; position: number }> =>
  handler.load(channelsCentre, channelBookStreamId());

/**
 * Which channel a request goes through: the one it names (which the key must allow), else the key's only channel,
 * else `default` for a key that names none. The refusals are the API's (403, 422), not the domain's.
 */
export type ChannelChoice =
  | { readonly ok: true; readonly channelId: ChannelId }
  | {
      readonly ok: false;
      readonly status: 403 | 422;
      readonly code: 'ChannelNotAllowed' | 'ChannelRequired';
      readonly message: string;
    };

export const chooseChannel = (
  requested: ChannelId | undefined,
  keyChannels: ReadonlySet<string> | undefined,
  fallback: ChannelId,
  asChannel: (s: string) => ChannelId,
): ChannelChoice => {
  if (requested !== undefined) {
    return keyChannels === undefined || keyChannels.has(requested)
      ? { ok: true, channelId: requested }
      : {
          ok: false,
          status: 403,
          code: 'ChannelNotAllowed',
          message: `this API key may not place orders through channel ${requested} (it may use ${[...keyChannels].join(', ')})`,
        };
  }
  if (keyChannels === undefined) return { ok: true, channelId: fallback };
  const [only, ...others] = [...keyChannels];
  if (only !== undefined && others.length === 0) return { ok: true, channelId: asChannel(only) };
  return {
    ok: false,
    status: 422,
    code: 'ChannelRequired',
    message: `this API key places orders through several channels (${[...keyChannels].join(', ')}); name one in "channel"`,
  };
};

export interface SeedResult {
  readonly defined: readonly ChannelId[];
  readonly unchanged: readonly ChannelId[];
}

/**
 * Defines each channel of the CHANNELS file that the book lacks or holds with another profile. The command id comes
 * from the content and the book's revision, so command APIs starting together append it once, and a restart with the
 * same file appends nothing; a profile changed since by `PUT /v1/admin/channels/{id}` is set back to the file's.
 */
export const seedChannels = async (
  handler: CommandHandler,
  channels: ReadonlyMap<ChannelId, ChannelProfile>,
  clock: Clock,
): Promise<E.Either<CommandError, SeedResult>> => {
  const defined: ChannelId[] = [];
  const unchanged: ChannelId[] = [];
  for (const [channelId, profile] of channels) {
    const book = await loadChannelBook(handler);
    const current = book.state.channels.get(channelId);
    if (current !== undefined && sameProfile(current.profile, profile)) {
      unchanged.push(channelId);
      continue;
    }
    const commandId = deterministicId(`channel-seed:${channelId}:${book.revision}:${JSON.stringify(profile)}`);
    const result = await handler.handle(
      channelsCentre,
      { type: 'DefineChannel', channelId, profile, at: timestamp(clock.now().toISOString()) },
      { commandId, causationId: commandId, correlationId: commandId },
    );
    if (E.isLeft(result)) return result;
    defined.push(channelId);
  }
  return E.right({ defined, unchanged });
};

export const channelNotFound = (channelId: ChannelId): DomainError =>
  domainError('ChannelNotFound', 'not_found', `channel ${channelId} is not defined`, { channelId });
