import * as t from 'io-ts';
import { ChannelId, Timestamp, eventRegistry } from '../shared';
import { ChannelProfile } from './profile';

/** The whole profile, also on a replacement, so a reader needs no earlier event. */
export const ChannelDefined = t.readonly(
  t.strict({ type: t.literal('ChannelDefined'), channelId: ChannelId, profile: ChannelProfile, at: Timestamp }),
  'ChannelDefined',
);
export type ChannelDefined = t.TypeOf<typeof ChannelDefined>;

export const ChannelEvent = ChannelDefined;
export type ChannelEvent = ChannelDefined;

export const channelEvents = eventRegistry<ChannelEvent>({ ChannelDefined: { version: 1, codec: ChannelDefined } }, []);
