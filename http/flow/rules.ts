import * as t from 'io-ts';
import * as E from 'fp-ts/Either';
import { constrainedInteger, constrainedString, fieldErrors, type FieldError } from '../../domain/shared';
import { BoundedArrayType, closed } from '../validate';

/**
 * Flow-control rules (Sentinel-style), read from the file `FLOW_RULES` names and replaced at run time through
 * `PUT /v1/admin/flow-rules`. Every limit is optional: a rule that is absent does not limit.
 */

interface RateBrand {
  readonly FlowRate: unique symbol;
}
/** requests per second (whole), the steady rate a token bucket refills at */
const Rate = constrainedInteger<'FlowRate', RateBrand>('FlowRate', { minimum: 1, maximum: 1_000_000 });

interface BurstBrand {
  readonly FlowBurst: unique symbol;
}
/** how many requests may pass at once after a quiet spell (the bucket's size); default: one second's worth */
const Burst = constrainedInteger<'FlowBurst', BurstBrand>('FlowBurst', { minimum: 1, maximum: 10_000_000 });

interface ConcurrencyBrand {
  readonly FlowConcurrency: unique symbol;
}
const Concurrency = constrainedInteger<'FlowConcurrency', ConcurrencyBrand>('FlowConcurrency', {
  minimum: 1,
  maximum: 1_000_000,
});

interface OperationNameBrand {
  readonly OperationName: unique symbol;
}
/** an operationId of the OpenAPI document, e.g. `placeOrder` */
const OperationName = constrainedString<'OperationName', OperationNameBrand>('OperationName', {
  minLength: 1,
  maxLength: 64,
  pattern: /^[A-Za-z][A-Za-z0-9]*$/,
});

interface ThresholdBrand {
  readonly FlowThreshold: unique symbol;
}
const Threshold = constrainedInteger<'FlowThreshold', ThresholdBrand>('FlowThreshold', {
  minimum: 1,
  maximum: 1_000_000_000,
});

interface RetryAfterBrand {
  readonly RetryAfterSeconds: unique symbol;
}
const RetryAfterSeconds = constrainedInteger<'RetryAfterSeconds', RetryAfterBrand>('RetryAfterSeconds', {
  minimum: 1,
  maximum: 3_600,
});

export const RateLimit = closed('RateLimit', { perSecond: Rate }, { burst: Burst });
export type RateLimit = t.TypeOf<typeof RateLimit>;

export const OperationRule = closed(
  'OperationRule',
  { operation: OperationName },
  { perSecond: Rate, burst: Burst, concurrent: Concurrency },
);
export type OperationRule = t.TypeOf<typeof OperationRule>;

export const SheddingRule = closed(
  'SheddingRule',
  {},
  {
    /** operations refused first when the engine falls behind (default: placeOrder); the others keep working */
    operations: new BoundedArrayType('SheddableOperations', OperationName, 0, 64),
    /** how far behind (ms since the oldest event not yet handled was appended) the sagas or projections may run */
    maxLagMs: Threshold,
    /** events appended but not yet handled by the sagas or every projection */
    maxBacklog: Threshold,
    /** the serving event loop's delay (p99 over the last sample window) */
    maxEventLoopDelayMs: Threshold,
    retryAfterSeconds: RetryAfterSeconds,
  },
);
export type SheddingRule = t.TypeOf<typeof SheddingRule>;

export const FlowRules = closed(
  'FlowRules',
  {},
  {
    operations: new BoundedArrayType('OperationRules', OperationRule, 0, 64, 'each operation at most once'),
    /** per API key (per client address on an engine without keys) */
    perKey: RateLimit,
    /** per customer (the `customerId` of a placement) */
    perCustomer: RateLimit,
    /** placements per SKU, so one flash-sale SKU cannot starve the others */
    hotSku: RateLimit,
    shedding: SheddingRule,
    /** refuse a placement at once (422 out-of-stock) when a SKU has less available than it asks for */
    soldOutFastPath: t.boolean,
  },
);
export type FlowRules = t.TypeOf<typeof FlowRules>;

/**
 * The defaults, chosen to refuse nothing a healthy engine can carry and to keep an overloaded one answering:
 * - no fixed rates per operation, key or customer: those depend on the deployment and its clients, so an operator
 *   sets them (see the README for sizing);
 * - at most 200 placements per second per SKU (burst 400): far above any SKU's share of normal traffic, far below a
 *   flash sale's spike, which then cannot take the whole engine;
 * - at most 1,000 placements in flight: beyond that, requests only queue inside the engine;
 * - placements are shed (503) while the sagas or projections run more than 300 ms behind (the oldest event they
 *   have not handled was appended that long ago: a lag in time fits every machine, a count of events does not; an
 *   order takes about four saga steps, each queued behind that lag: 300 ms bounded completions at about 2 s under 3×
 *   overload here, 150 ms at 0.5 s but shed from a rate the engine carries), or
 *   while the event loop lags more than 500 ms for a whole second; cancels, refunds and reads never are. With a
 *   payment provider slower than that, raise `maxLagMs` above its p99: the saga's position waits for its answers;
 * - the sold-out fast path is on: an order the stock cannot serve now is refused at once instead of cancelled later.
 */
export const defaultFlowRules: FlowRules = {
  operations: [{ operation: 'placeOrder', concurrent: 1_000 }],
  hotSku: { perSecond: 200, burst: 400 },
  shedding: { operations: ['placeOrder'], maxLagMs: 300, maxEventLoopDelayMs: 500, retryAfterSeconds: 1 },
  soldOutFastPath: true,
} as FlowRules;

/**
 * The defaults of a command API on Kafka (`BUS=kafka`): the same, but shedding from 3 s of lag. There every event
 * crosses the broker to its consumers, and a consumer's committed offset trails what it handled by a batch and a
 * commit, so a healthy deployment's oldest waiting message is often 0.3 to 1.5 s old (measured at 100
 * orders/s, one of each process here); 300 ms would refuse placements it carries.
 */
export const defaultKafkaFlowRules: FlowRules = {
  ...defaultFlowRules,
  shedding: { ...defaultFlowRules.shedding, maxLagMs: 3_000 },
} as FlowRules;

/**
 * Decodes rules and checks what the codec cannot: each operation named is one the API has, and appears once.
 * Answers the rules, or every problem, each naming its field.
 */
export const decodeFlowRules = (
  value: unknown,
  knownOperations: ReadonlySet<string>,
): E.Either<readonly FieldError[], FlowRules> => {
  const decoded = FlowRules.decode(value);
  if (E.isLeft(decoded)) return E.left(fieldErrors(decoded.left));
  const rules = decoded.right;
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  for (const [i, rule] of (rules.operations ?? []).entries()) {
    if (!knownOperations.has(rule.operation)) {
      problems.push({
        field: `operations.${i}.operation`,
        message: `is not an operation of this API: ${rule.operation}`,
      });
    } else if (seen.has(rule.operation)) {
      problems.push({ field: `operations.${i}.operation`, message: `names ${rule.operation} a second time` });
    }
    seen.add(rule.operation);
    if (rule.perSecond === undefined && rule.burst !== undefined) {
      problems.push({ field: `operations.${i}.burst`, message: 'needs perSecond' });
    }
  }
  for (const [i, operation] of (rules.shedding?.operations ?? []).entries()) {
    if (!knownOperations.has(operation)) {
      problems.push({ field: `shedding.operations.${i}`, message: `is not an operation of this API: ${operation}` });
    }
  }
  return problems.length > 0 ? E.left(problems) : E.right(rules);
};
