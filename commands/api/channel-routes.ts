import express, { type Request, type Response, type Router } from 'express';
import {
  builtInDefaultProfile,
  defaultChannelId,
  listedChannels,
  resolveChannel,
  unknownChannel,
  type ChannelBookState,
  type ChannelProfile,
  type ResolvedChannel,
} from '../../domain/channels';
import { ChannelId, channelId as asChannel, timestamp, type Timestamp } from '../../domain/shared';
import { channelsCentre } from '../../domain/centres';
import { decodeOr400 } from '../../http/validate';
import { requestContext, requireScope } from '../../http/middleware';
import { problem } from '../../http/problem';
import type { Clock } from '../../ports/clock';
import type { CommandHandler } from '../command-handler';
import { channelNotFound, chooseChannel, loadChannelBook } from '../channels';
import { ChannelProfileBody } from './channel-requests';
import { commandContext, param, rejected, unwrap } from './route-helpers';

export interface ChannelApiDeps {
  readonly handler: CommandHandler;
  readonly clock: Clock;
}

/**
 * The channel a placement or a quote goes through (see `chooseChannel`): 403 channel-not-allowed for a channel the
 * key may not use, 422 channel-required when the key names several and the request none, 422 unknown-channel for
 * one the book does not define.
 */
export const requestChannel = async (
  handler: CommandHandler,
  res: Response,
  requested: ChannelId | undefined,
): Promise<ResolvedChannel> => {
  const choice = chooseChannel(requested, requestContext(res).channels, defaultChannelId, asChannel);
  if (!choice.ok) {
    throw problem(choice.status, choice.code, titleOf(choice.code), choice.message, { code: choice.code });
  }
  const resolved = resolveChannel((await loadChannelBook(handler)).state, choice.channelId);
  return resolved ?? rejected(unknownChannel(choice.channelId));
};

const titleOf = (code: string): string => code.replace(/([a-z0-9])([A-Z])/g, '$1 $2');

/** `GET /v1/admin/channels`, `GET/PUT /v1/admin/channels/{channelId}` (scope admin). */
export const channelRoutes = ({ handler, clock }: ChannelApiDeps): Router => {
  const router = express.Router();
  const now = (): Timestamp => timestamp(clock.now().toISOString());

  router.get('/admin/channels', requireScope('admin'), async (_req, res) => {
    const book = await loadChannelBook(handler);
    res.json({ channels: listedChannels(book.state).map((c) => channelView(c, book.state)), position: book.position });
  });

  router.get('/admin/channels/:channelId', requireScope('admin'), async (req: Request, res: Response) => {
    const channelId = param(ChannelId, req, 'channelId');
    const book = await loadChannelBook(handler);
    const resolved = resolveChannel(book.state, channelId);
    if (resolved === undefined) return rejected(channelNotFound(channelId));
    res.json({ ...channelView(resolved, book.state), position: book.position });
  });

  router.put('/admin/channels/:channelId', requireScope('admin'), async (req, res) => {
    const channelId = param(ChannelId, req, 'channelId');
    const profile: ChannelProfile = decodeOr400(ChannelProfileBody, req.body, 'channel');
    const before = await loadChannelBook(handler);
    const result = unwrap(
      await handler.handle(
        channelsCentre,
        { type: 'DefineChannel', channelId, profile, at: now() },
        commandContext(req, res),
      ),
    );
    const created = result.events.length > 0 && !before.state.channels.has(channelId);
    const resolved = resolveChannel(result.state, channelId) ?? { channelId, profile, builtIn: false };
    res.status(created ? 201 : 200).json({ ...channelView(resolved, result.state), position: result.position });
  });

  return router;
};

/** A channel as the admin routes show it; `builtIn` marks the default that applies while none is defined. */
export const channelView = (channel: ResolvedChannel, book: ChannelBookState) => ({
  channelId: channel.channelId,
  ...(channel.builtIn ? builtInDefaultProfile : channel.profile),
  builtIn: channel.builtIn,
  ...(channel.builtIn ? {} : { definedAt: book.channels.get(channel.channelId)?.definedAt }),
});
