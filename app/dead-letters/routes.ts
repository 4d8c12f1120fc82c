import express, { type Router } from 'express';
import {
  DeadLetterError,
  combineRetryers,
  deadLetterJson,
  discardDeadLetter,
  listDeadLetters,
  retryDeadLetter,
  type RetryerFor,
} from '../../commands/sagas/dead-letters';
import type { SagaRunner } from '../../commands/sagas/runner';
import { requestContext, requireScope } from '../../http/middleware';
import { problem } from '../../http/problem';
import { decodeOr400 } from '../../http/validate';
import type { ReadStore } from '../../ports/read-store';
import type { DeadLetterStore } from '../../ports/dead-letters';
import { DeadLetterId, ListDeadLettersQuery, deadLetterOperations } from './openapi';
import { liveSagaRetryers, projectionRetryers } from './retryers';
import type { ApiPart } from '../runtime/http-server';

export interface DeadLetterRouteDeps {
  readonly deadLetters: DeadLetterStore;
  /** the retries this process can run (its saga runner, its projections) */
  readonly retryers: RetryerFor;
}

/** A letter id from the path: 400 when it cannot be one, so 404 means a well-formed id no letter has. */
const letterId = (raw: unknown): number => Number(decodeOr400(DeadLetterId, raw, 'id'));

const asProblem = (error: unknown): unknown => {
  if (!(error instanceof DeadLetterError)) return error;
  switch (error.reason) {
    case 'not-found':
      return problem(404, 'DeadLetterNotFound', 'Dead letter not found', error.message);
    case 'parked':
      return problem(409, 'DeadLetterParked', 'Dead letter waits behind an older one', error.message);
    case 'no-retryer':
      return problem(409, 'DeadLetterNotRetryableHere', 'No retry for this consumer here', error.message);
  }
};

/**
 * `/v1/dead-letters`: the operator's list/retry/discard over HTTP (admin scope), the same operations as
 * `commerce dlq`. Retries run one at a time in this process, so a double click cannot hand a letter over twice.
 */
export const deadLetterRoutes = ({ deadLetters, retryers }: DeadLetterRouteDeps): Router => {
  const router = express.Router();
  let retrying: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const run = retrying.then(work, work);
    retrying = run.catch(() => undefined);
    return run;
  };

  router.get('/dead-letters', requireScope('admin'), async (req, res) => {
    const query = decodeOr400(ListDeadLettersQuery, req.query, 'query');
    const letters = await listDeadLetters(
      deadLetters,
      query.consumer === undefined ? {} : { consumer: String(query.consumer) },
    );
    res.json({ items: letters.map(deadLetterJson) });
  });

  router.post('/dead-letters/:id/retry', requireScope('admin'), async (req, res) => {
    const id = letterId(req.params.id);
    const outcome = await oneAtATime(() => retryDeadLetter(deadLetters, id, retryers)).catch((error: unknown) => {
      throw asProblem(error);
    });
    const log = requestContext(res).log;
    if (outcome.failed) {
      log.warn({ id, retried: outcome.retried, failed: outcome.failed }, 'dead letter failed again');
      throw problem(
        409,
        'DeadLetterFailedAgain',
        'Dead letter failed again',
        `dead letter ${outcome.failed.id} failed again: ${outcome.failed.error}`,
        { retried: outcome.retried, failed: outcome.failed },
      );
    }
    log.info({ id, retried: outcome.retried }, 'dead letter retried');
    res.json({ retried: outcome.retried });
  });

  router.post('/dead-letters/:id/discard', requireScope('admin'), async (req, res) => {
    const id = letterId(req.params.id);
    try {
      const letter = await discardDeadLetter(deadLetters, id);
      requestContext(res).log.info({ id, consumer: letter.consumer, key: letter.key }, 'dead letter discarded');
      res.json({ discarded: deadLetterJson(letter) });
    } catch (error) {
      throw asProblem(error);
    }
  });

  return router;
};

/** The routes with their documentation, as the engine's processes register their parts. */
export const deadLetterApi = (deps: DeadLetterRouteDeps): ApiPart => ({
  router: deadLetterRoutes(deps),
  operations: deadLetterOperations,
});

/** The embedded engine retries saga letters through its runner and projection letters through its read store. */
export const embeddedDeadLetterApi = (
  deadLetters: DeadLetterStore,
  runner: () => SagaRunner | undefined,
  readStore: ReadStore,
): ApiPart =>
  deadLetterApi({
    deadLetters,
    retryers: combineRetryers(
      liveSagaRetryers(runner),
      projectionRetryers(() => Promise.resolve(readStore)),
    ),
  });
