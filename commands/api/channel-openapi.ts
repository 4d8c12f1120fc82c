import { ChannelId } from '../../domain/shared';
import { toJsonSchema, type JsonSchema } from '../../http/json-schema';
import type { OperationSpec } from '../../http/openapi';
import { ChannelProfileBody } from './channel-requests';
import { idempotencyKey, position } from './openapi';

const profile = toJsonSchema(ChannelProfileBody);
const profileProperties = (profile as { properties?: Record<string, JsonSchema> }).properties ?? {};
const profileRequired = (profile as { required?: readonly string[] }).required ?? [];

const channel: JsonSchema = {
  type: 'object',
  properties: {
    channelId: { type: 'string' },
    ...profileProperties,
    builtIn: {
      type: 'boolean',
      description:
        'the built-in default, which applies while no channel is defined; its orders carry no terms, so the saga configuration applies',
    },
    definedAt: { type: 'string', format: 'date-time' },
  },
  required: ['channelId', ...profileRequired, 'builtIn'],
};

const channelWithPosition: JsonSchema = {
  ...channel,
  properties: { ...(channel.properties as Record<string, JsonSchema>), position },
  required: [...(channel.required as string[]), 'position'],
};

export const channelOperations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/v1/admin/channels',
    operationId: 'listChannels',
    summary: 'The channels (business identities) and their profiles; the built-in default while none is defined',
    scope: 'admin',
    success: {
      status: 200,
      description: 'every channel, by id',
      schema: {
        type: 'object',
        properties: { channels: { type: 'array', items: channel }, position },
        required: ['channels', 'position'],
      },
    },
    problems: [],
  },
  {
    method: 'get',
    path: '/v1/admin/channels/{channelId}',
    operationId: 'getChannel',
    summary: "A channel's profile",
    scope: 'admin',
    params: { channelId: ChannelId },
    success: { status: 200, description: 'the profile', schema: channelWithPosition },
    problems: [404],
  },
  {
    method: 'put',
    path: '/v1/admin/channels/{channelId}',
    operationId: 'defineChannel',
    summary: "Create or replace a channel's profile; orders placed from now on get its terms",
    scope: 'admin',
    params: { channelId: ChannelId },
    headers: idempotencyKey,
    body: ChannelProfileBody,
    success: {
      status: 200,
      description: 'replaced, or unchanged',
      schema: channelWithPosition,
      also: [{ status: 201, description: 'created' }],
    },
    // 422: a rule across fields (reservation TTL, trade terms, currencies, presale window), naming the field
    problems: [409, 422],
  },
];
