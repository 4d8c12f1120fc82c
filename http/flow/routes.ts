import express, { type Router } from 'express';
import * as E from 'fp-ts/Either';
import { fieldErrors } from '../../domain/shared';
import { toJsonSchema } from '../json-schema';
import type { OperationSpec } from '../openapi';
import { unprocessable, validationProblem } from '../problem';
import { requireScope } from '../middleware';
import type { FlowControl } from './flow-control';
import { FlowRules, decodeFlowRules } from './rules';

const rulesSchema = toJsonSchema(FlowRules);

const counts = { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } };

const statusSchema = {
  type: 'object',
  properties: {
    admitted: { type: 'integer', minimum: 0, description: 'requests admitted since the process started' },
    refused: { ...counts, description: 'requests refused since the process started, by rule' },
    backlog: { type: ['integer', 'null'], description: 'events waiting for the sagas or a projection' },
    lagMs: { type: ['number', 'null'], description: 'how long ago the oldest of them was appended' },
    eventLoopDelayMs: { type: ['number', 'null'], description: 'p99 event-loop delay over the last sample' },
    breaker: {
      type: ['string', 'null'],
      enum: ['closed', 'half_open', 'open', null],
      description: 'the payment provider circuit breaker (null: none known here)',
    },
  },
  required: ['admitted', 'refused', 'backlog', 'lagMs', 'eventLoopDelayMs', 'breaker'],
};

export const flowRuleOperations: readonly OperationSpec[] = [
  {
    method: 'get',
    path: '/v1/flow',
    operationId: 'getFlowStatus',
    summary: 'Flow control now: requests admitted and refused (by rule) so far, the backlog, the payment breaker',
    scope: 'read',
    success: { status: 200, description: 'the totals and the current pressure', schema: statusSchema },
    problems: [],
  },
  {
    method: 'get',
    path: '/v1/admin/flow-rules',
    operationId: 'getFlowRules',
    summary: 'The flow-control rules in force: rates, concurrency, hot-SKU limits and shedding thresholds',
    scope: 'admin',
    success: { status: 200, description: 'the rules in force', schema: rulesSchema },
    problems: [],
  },
  {
    method: 'put',
    path: '/v1/admin/flow-rules',
    operationId: 'putFlowRules',
    summary: 'Replace the flow-control rules; they apply to the next request, without a restart',
    scope: 'admin',
    body: FlowRules,
    success: { status: 200, description: 'the rules now in force', schema: rulesSchema },
    // 422: an operation the API does not have, named twice, or a burst without a rate
    problems: [422],
  },
];

export interface FlowRuleRoutesOptions {
  readonly control: FlowControl;
  /** the API's operation ids, which rules may name */
  readonly operations: ReadonlySet<string>;
  /** keeps replaced rules for the next start (the FLOW_RULES file), before they apply */
  readonly persist?: (rules: FlowRules) => Promise<void>;
  /** the payment provider breaker's state, wherever the saga runner runs; undefined: not known here */
  readonly breaker?: () => Promise<string | undefined>;
}

/** `GET/PUT /v1/admin/flow-rules` (admin scope). */
export const flowRuleRoutes = (options: FlowRuleRoutesOptions): Router => {
  const router = express.Router();
  router.get('/flow', requireScope('read'), async (_req, res) => {
    const { admitted, refused, pressure } = options.control.totals();
    res.json({
      admitted,
      refused,
      backlog: pressure?.backlog ?? null,
      lagMs: pressure === undefined ? null : Math.round(pressure.lagMs),
      eventLoopDelayMs: pressure === undefined ? null : Math.round(pressure.eventLoopDelayMs * 10) / 10,
      breaker: (await options.breaker?.().catch(() => undefined)) ?? null,
    });
  });
  router.get('/admin/flow-rules', requireScope('admin'), (_req, res) => {
    res.json(options.control.rules);
  });
  router.put('/admin/flow-rules', requireScope('admin'), async (req, res) => {
    // the document's shape first (400), then what it cannot say: operations this API has, each once (422)
    const shaped = FlowRules.decode(req.body);
    if (E.isLeft(shaped)) throw validationProblem(fieldErrors(shaped.left), 'flow rules');
    const decoded = decodeFlowRules(shaped.right, options.operations);
    if (E.isLeft(decoded)) throw unprocessable(decoded.left, 'flow rules');
    await options.persist?.(decoded.right);
    options.control.replace(decoded.right);
    res.json(options.control.rules);
  });
  return router;
};
