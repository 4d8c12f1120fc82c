import * as t from 'io-ts';
import { constrainedString } from '../../domain/shared';
import { SAGA_CONSUMER, SAGA_DISPATCH_CONSUMER } from '../../commands/sagas/runner';
import { allReadModels } from '../../projections';
import { projectionConsumer } from '../../projections/projection';
import type { JsonSchema } from '../../http/json-schema';
import type { OperationSpec } from '../../http/openapi';
import { closed } from '../../http/validate';

/** Every consumer that records dead letters: the saga runner (inputs, outbox) and the projections. */
export const deadLetterConsumers: readonly string[] = [
  SAGA_CONSUMER,
  SAGA_DISPATCH_CONSUMER,
  ...allReadModels.map((p) => projectionConsumer(p.name)),
];

export const DeadLetterConsumer = t.keyof(
  Object.fromEntries(deadLetterConsumers.map((c) => [c, null])),
  'DeadLetterConsumer',
);

/** A letter's id as the store numbers them (1, 2, …), in a path. */
export const DeadLetterId = constrainedString<'DeadLetterId', { readonly DeadLetterId: unique symbol }>(
  'DeadLetterId',
  { pattern: /^[1-9][0-9]{0,11}$/ },
);

export const ListDeadLettersQuery = closed('ListDeadLettersQuery', {}, { consumer: DeadLetterConsumer });

const nullable = (type: string): JsonSchema => ({ type: [type, 'null'] });

const deadLetter: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer', minimum: 1 },
    consumer: { type: 'string', description: 'who gave up: saga-runner, saga-runner:dispatch, projection:<name>' },
    key: { type: 'string', description: "the consumer's ordering unit (a saga id, a read-model document)" },
    event: {
      type: 'object',
      properties: {
        eventId: { type: 'string' },
        streamId: { type: 'string' },
        revision: nullable('integer'),
        position: nullable('integer'),
        type: { type: 'string' },
        data: {},
        metadata: {},
        source: nullable('string'),
        sequence: nullable('integer'),
      },
      required: ['eventId', 'streamId', 'revision', 'position', 'type', 'data', 'metadata', 'source', 'sequence'],
    },
    error: { type: 'string', description: 'the last failure' },
    attempts: { type: 'integer', minimum: 0 },
    firstFailedAt: { type: 'string', format: 'date-time' },
    lastFailedAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'consumer', 'key', 'event', 'error', 'attempts', 'firstFailedAt', 'lastFailedAt'],
};

const ids: JsonSchema = { type: 'array', items: { type: 'integer', minimum: 1 } };

/**
 * The dead-letter operations (admin scope). Served by the process that can retry them: the embedded engine
 * (`serve`), and in distributed mode the saga runner, whose SQLite file holds the letters.
 */
export const deadLetterOperations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/v1/dead-letters',
    operationId: 'listDeadLetters',
    summary: 'Inputs a saga or projection gave up on after its retries, oldest first (at most 1,000)',
    scope: 'admin',
    query: ListDeadLettersQuery,
    success: {
      status: 200,
      description: 'the dead letters',
      schema: { type: 'object', properties: { items: { type: 'array', items: deadLetter } }, required: ['items'] },
    },
    problems: [],
  },
  {
    method: 'post',
    path: '/v1/dead-letters/{id}/retry',
    operationId: 'retryDeadLetter',
    params: { id: DeadLetterId },
    summary: 'Handle a dead letter again, then the letters of its key parked behind it, in order',
    scope: 'admin',
    success: {
      status: 200,
      description: 'every letter of the key was handled and removed',
      schema: {
        type: 'object',
        properties: { retried: { ...ids, description: 'letters handled and removed, in order' } },
        required: ['retried'],
      },
    },
    // 404 unknown id; 409 waits behind an older letter, no retry known here, or it failed again (kept)
    problems: [404, 409],
  },
  {
    method: 'post',
    path: '/v1/dead-letters/{id}/discard',
    operationId: 'discardDeadLetter',
    params: { id: DeadLetterId },
    summary: 'Drop a dead letter for good (its input needs no handling)',
    scope: 'admin',
    success: {
      status: 200,
      description: 'the letter that was dropped',
      schema: { type: 'object', properties: { discarded: deadLetter }, required: ['discarded'] },
    },
    problems: [404],
  },
];
