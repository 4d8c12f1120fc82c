import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiKey, Scope } from '../config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { newId } from '../ports/ids';
import { problem } from './problem';

/** Per-request context, kept on `res.locals` (typed accessors below). */
export interface RequestContext {
  readonly requestId: string;
  readonly correlationId: string;
  readonly log: Logger;
  readonly scopes: ReadonlySet<Scope> | 'open';
}

export const requestContext = (res: Response): RequestContext => res.locals.ctx as RequestContext;

const headerId = (req: Request, name: string): string | undefined => {
  const value = req.get(name);
  return value !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined;
};

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Request id, correlation id, structured access log and Prometheus request metrics. */
export const observe =
  (logger: Logger, metrics: Metrics, apiKeys: readonly ApiKey[]): RequestHandler =>
  (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = headerId(req, 'X-Request-Id') ?? newId();
    const correlationId = headerId(req, 'X-Correlation-Id') ?? requestId;
    const log = logger.child({ requestId, correlationId });
    const presented = req.get('Authorization')?.replace(/^Bearer\s+/i, '') ?? req.get('X-Api-Key');
    const matched = presented === undefined ? undefined : apiKeys.find((k) => safeEqual(k.key, presented));
    const ctx: RequestContext = {
      requestId,
      correlationId,
      log,
      scopes: apiKeys.length === 0 ? 'open' : (matched?.scopes ?? new Set()),
    };
    res.locals.ctx = ctx;
    res.locals.authenticated = apiKeys.length === 0 || matched !== undefined;
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // route pattern, not the raw URL, keeps label cardinality bounded
      const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof routePath === 'string' ? `${req.baseUrl}${routePath}` : 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method, route }, seconds);
      log.info(
        { method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 },
        'request',
      );
    });
    next();
  };

/** 401 without a valid key, 403 without the scope; `admin` grants every scope. */
export const requireScope =
  (scope: Scope): RequestHandler =>
  (_req: Request, res: Response, next: NextFunction) => {
    const ctx = requestContext(res);
    if (ctx.scopes === 'open') {
      next();
    } else if (res.locals.authenticated !== true) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      next(
        problem(401, 'Unauthenticated', 'Unauthenticated', 'a valid API key is required (Authorization: Bearer <key>)'),
      );
    } else if (ctx.scopes.has(scope) || ctx.scopes.has('admin')) {
      next();
    } else {
      next(problem(403, 'Forbidden', 'Forbidden', `this API key lacks the "${scope}" scope`));
    }
  };
