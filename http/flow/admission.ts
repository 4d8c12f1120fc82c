import type { Request, RequestHandler } from 'express';
import type { OperationSpec } from '../openapi';
import { problem } from '../problem';
import type { Scope } from '../auth';
import { requestContext, type RequestContext } from '../middleware';
import type { FlowControl, FlowRequest } from './flow-control';

interface Matcher {
  readonly method: string;
  readonly pattern: RegExp;
  readonly operation: OperationSpec;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `/v1/orders/{orderId}/cancel` → a pattern matching one path segment per parameter. */
const matcherOf = (operation: OperationSpec): Matcher => ({
  method: operation.method.toUpperCase(),
  pattern: new RegExp(
    `^${operation.path
      .split(/\{\w+\}/)
      .map(escapeRegExp)
      .join('[^/]+')}/?$`,
  ),
  operation,
});

/** Finds the operation a request is for, by method and path, as the router will; undefined outside the API. */
export const operationFinder = (
  operations: readonly OperationSpec[],
): ((method: string, path: string) => OperationSpec | undefined) => {
  const matchers = operations.map(matcherOf);
  return (method, path) => matchers.find((m) => m.method === method && m.pattern.test(path))?.operation;
};

const allowed = (scopes: RequestContext['scopes'], scope: Scope): boolean =>
  scopes === 'open' || scopes?.has(scope) === true || scopes?.has('admin') === true;

const flowRequestOf = (req: Request, operation: OperationSpec, client: string): FlowRequest => {
  const hot = operation.hotParameters?.(req.body as unknown) ?? {};
  return { operation: operation.operationId, client, ...hot };
};

/**
 * Admission before any route runs (after the body is parsed, for the hot parameters): a refused request is answered
 * 429 or 503 problem+json with `Retry-After`, and nothing behind the edge sees it — no command, no event, no stored
 * idempotency key, so a retry later with the same key is a first attempt.
 */
export const admission = (control: FlowControl, operations: readonly OperationSpec[]): RequestHandler => {
  const find = operationFinder(operations);
  return (req, res, next) => {
    const operation = find(req.method, req.path);
    // outside the API; or an operator's tool (never locked out by the traffic it is there to tame); or a request its
    // route refuses anyway (401/403 come first, so a caller without the right key learns that, not a limit)
    if (
      operation === undefined ||
      operation.scope === 'admin' ||
      !allowed(requestContext(res).scopes, operation.scope)
    ) {
      next();
      return;
    }
    const decision = control.admit(flowRequestOf(req, operation, requestContext(res).client));
    if (!decision.admitted) {
      const { status, rule, retryAfterSeconds, detail } = decision;
      const [code, title] = status === 429 ? ['TooManyRequests', 'Too many requests'] : ['Overloaded', 'Overloaded'];
      res.setHeader('Retry-After', String(retryAfterSeconds));
      next(problem(status, code, title, detail, { rule, retryAfterSeconds }));
      return;
    }
    res.once('close', () => {
      decision.release();
    });
    next();
  };
};
