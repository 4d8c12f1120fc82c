import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { ApiKey, Scope } from './auth';
import type { Logger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import { newId } from '../ports/ids';
import { type HttpProblem, problem } from './problem';

/** Per-request context, kept on `res.locals` (typed accessors below). */
export interface RequestContext {
  readonly requestId: string;
  readonly correlationId: string;
  readonly log: Logger;
  /** 'open' without configured keys; undefined for a request without a valid key */
  readonly scopes: ReadonlySet<Scope> | 'open' | undefined;
  /** who is calling, for limits per caller: `key:<n>` (the n-th configured key) or `ip:<address>` */
  readonly client: string;
  /** the channels the key may place orders through; undefined: any (a key naming none, or no keys configured) */
  readonly channels: ReadonlySet<string> | undefined;
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

/** The configured key a request presents, if any. */
const presentedKey = (req: Request, apiKeys: readonly ApiKey[]): number => {
  const presented = req.get('Authorization')?.replace(/^Bearer\s+/i, '') ?? req.get('X-Api-Key');
  return presented === undefined ? -1 : apiKeys.findIndex((k) => safeEqual(k.key, presented));
};

/** The scopes of the key a request presents: 'open' without configured keys, undefined for no or an unknown key. */
export const authenticate = (req: Request, apiKeys: readonly ApiKey[]): ReadonlySet<Scope> | 'open' | undefined =>
  apiKeys.length === 0 ? 'open' : apiKeys[presentedKey(req, apiKeys)]?.scopes;

/** 401 without a valid key, 403 without the scope; `admin` grants every scope. Undefined when allowed. */
const scopeRefusal = (
  scopes: ReadonlySet<Scope> | 'open' | undefined,
  scope: Scope,
  res: Response,
): HttpProblem | undefined => {
  if (scopes === 'open' || scopes?.has(scope) === true || scopes?.has('admin') === true) return undefined;
  if (scopes === undefined) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return problem(
      401,
      'Unauthenticated',
      'Unauthenticated',
      'a valid API key is required (Authorization: Bearer <key>)',
    );
  }
  return problem(403, 'Forbidden', 'Forbidden', `this API key lacks the "${scope}" scope`);
};

/** Request id, correlation id, structured access log and Prometheus request metrics. */
export const observe =
  (logger: Logger, metrics: Metrics, apiKeys: readonly ApiKey[]): RequestHandler =>
  (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = headerId(req, 'X-Request-Id') ?? newId();
    const correlationId = headerId(req, 'X-Correlation-Id') ?? requestId;
    const log = logger.child({ requestId, correlationId });
    const key = apiKeys.length === 0 ? -1 : presentedKey(req, apiKeys);
    const ctx: RequestContext = {
      requestId,
      correlationId,
      log,
      scopes: apiKeys.length === 0 ? 'open' : apiKeys[key]?.scopes,
      client: key >= 0 ? `key:${key}` : `ip:${req.socket.remoteAddress ?? 'unknown'}`,
      channels: apiKeys[key]?.channels,
    };
    res.locals.ctx = ctx;
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
    next(scopeRefusal(requestContext(res).scopes, scope, res));
  };

/**
 * `requireScope` for a route served before `observe` (e.g. `/metrics`, whose scrapes stay out of the access log
 * and the request metrics): it authenticates the request itself.
 */
export const requireKeyScope =
  (apiKeys: readonly ApiKey[], scope: Scope): RequestHandler =>
  (req: Request, res: Response, next: NextFunction) => {
    next(scopeRefusal(authenticate(req, apiKeys), scope, res));
  };

/** Deepest nesting of arrays and objects a JSON body may have; deeper bodies are refused before parsing. */
export const maxJsonDepth = 32;

/**
 * Whether UTF-8 JSON text nests arrays and objects deeper than `limit`, by one pass over the bytes (brackets inside
 * strings do not count). Validation and error messages recurse over the parsed value, so a few kilobytes of `[`
 * would otherwise overflow the stack; this stops at the first byte too deep.
 */
export const jsonDeeperThan = (body: Uint8Array, limit: number): boolean => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // a backslash escapes the next byte (\" or \\)
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > limit) return true;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return false;
};

const jsonTypes = ['application/json', 'application/*+json'];
const methodsWithBody = new Set(['POST', 'PUT', 'PATCH']);

/** Raw-body check before `JSON.parse`: UTF-8 only (RFC 8259 §8.1; the depth scan reads bytes) and bounded depth. */
const verifyJson = (_req: unknown, _res: unknown, body: Buffer, encoding: string): void => {
  if (encoding !== 'utf-8' && encoding !== 'utf8') {
    throw problem(
      415,
      'UnsupportedMediaType',
      'Unsupported media type',
      `a JSON body must be UTF-8 (RFC 8259), not ${encoding.slice(0, 40)}`,
    );
  }
  if (jsonDeeperThan(body, maxJsonDepth)) {
    throw problem(
      400,
      'JsonTooDeep',
      'JSON nested too deeply',
      `the request body nests arrays and objects more than ${maxJsonDepth} levels deep (the limit is ${maxJsonDepth})`,
      { maxDepth: maxJsonDepth },
    );
  }
};

/**
 * Parses JSON bodies (one parse, after a byte scan for depth); a non-empty body of another media type on a route
 * that takes one is a 415 rather than an absent body that validation would call "(root) is required".
 * `routeTakes(method, path)` says whether a route serves the request, so an unknown path or method stays a 404/405.
 */
export const jsonBody = (limit: string, routeTakes: (method: string, path: string) => boolean) =>
  [
    (req: Request, _res: Response, next: NextFunction): void => {
      const declared = req.headers['content-type'];
      // the common case, without parsing the header a second time (body-parser checks it too)
      if (declared === 'application/json' || declared?.startsWith('application/json;') === true) {
        next();
        return;
      }
      // req.is: null for no body at all, false for a body of another (or no) media type
      if (
        req.is(jsonTypes) === false &&
        carriesContent(req) &&
        methodsWithBody.has(req.method) &&
        routeTakes(req.method, req.path)
      ) {
        const type = req.get('Content-Type');
        next(
          problem(
            415,
            'UnsupportedMediaType',
            'Unsupported media type',
            `the request body must be JSON (Content-Type: application/json), not ${type === undefined ? 'untyped' : JSON.stringify(type.slice(0, 100))}`,
          ),
        );
        return;
      }
      next();
    },
    express.json({ limit, strict: false, type: jsonTypes, verify: verifyJson }),
  ] as const;

/** An empty body (Content-Length: 0, as fetch sends for a bodiless POST) carries nothing to refuse. */
const carriesContent = (req: Request): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? '0') > 0;
