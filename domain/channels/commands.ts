import * as t from 'io-ts';
import { ChannelId, Timestamp } from '../shared';
import { ChannelProfile } from './profile';

/** Creates or replaces a channel's profile; an identical repeat changes nothing. */
export const DefineChannel = t.readonly(
  t.strict({ type: t.literal('DefineChannel'), channelId: ChannelId, profile: ChannelProfile, at: Timestamp }),
  'DefineChannel',
);
export type DefineChannel = t.TypeOf<typeof DefineChannel>;

export const ChannelCommand = DefineChannel;
export type ChannelCommand = DefineChannel;
