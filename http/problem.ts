import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from '../ports/logger';
import { StoreUnavailableError } from '../ports/event-store';
import type { FieldError } from '../domain/shared';

/**
 * RFC 7807 problem details. `type` is a stable URI per error kind (`/problems/<kebab-code>`), so clients can
 * switch on it; `title` is short and constant for the type, `detail` says what happened this time.
 */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

const kebab = (code: string): string =>
  code
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();

export const problemType = (code: string): string => `/problems/${kebab(code)}`;

export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'HttpProblem';
  }
}

export const problem = (
  status: number,
  code: string,
  title: string,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): HttpProblem => new HttpProblem({ ...extensions, type: problemType(code), title, status, detail });

export const sendProblem = (res: Response, p: Problem): void => {
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
};

/** A problem naming each offending field, in `detail` and in `errors`. */
const fieldsProblem =
  (status: number, code: string, title: string) =>
  (errors: readonly FieldError[], what = 'request body'): HttpProblem =>
    problem(status, code, title, `${what}: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, { errors });

/** 400: fields that break the document (OpenAPI) */
export const validationProblem = fieldsProblem(400, 'ValidationFailed', 'The request is not valid');

/** 422: fields that fit the document but break a rule it cannot express (a SKU listed twice) */
export const unprocessable = fieldsProblem(422, 'UnprocessableRequest', 'The request breaks a rule');

/** A problem for a bare HTTP status, typed after its reason phrase (431 → /problems/request-header-fields-too-large). */
export const statusProblem = (status: number, detail: string): HttpProblem => {
  const phrase = STATUS_CODES[status] ?? 'Error';
  // sentence case, like the other titles
  const title = `${phrase.charAt(0)}${phrase.slice(1).toLowerCase()}`;
  return problem(status, phrase.replace(/[^A-Za-z0-9]+/g, '_'), title, detail);
};

/** A complete HTTP/1.1 response for a socket no request object exists for (a request Node could not parse). */
export const rawProblemResponse = (p: Problem): string => {
  const body = JSON.stringify(p);
  return [
    `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? 'Error'}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
};

/** The 4xx status an error from express, the router or body-parser carries (they set `status`/`statusCode`). */
const clientStatusOf = (error: unknown): number | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = 'status' in error ? error.status : 'statusCode' in error ? error.statusCode : undefined;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
};

const clientProblem = (error: object, status: number): HttpProblem => {
  const type = 'type' in error ? error.type : undefined;
  if (type === 'entity.parse.failed')
    return problem(400, 'MalformedJson', 'Malformed JSON', 'the request body is not valid JSON');
  if (type === 'entity.too.large')
    return problem(413, 'PayloadTooLarge', 'Payload too large', 'the request body exceeds the size limit');
  // the router could not percent-decode a path parameter
  if (error instanceof URIError)
    return problem(400, 'MalformedUrl', 'Malformed URL', 'the URL is not valid percent-encoding');
  // http-errors marks messages meant for clients (e.g. 'unsupported charset "LATIN1"') as exposable
  const exposed = 'expose' in error && error.expose === true && error instanceof Error ? error.message : undefined;
  return statusProblem(status, exposed ?? 'the request could not be read');
};

/** Last middleware: every error becomes problem+json; never a stack trace, never a 500 for bad input. */
export const problemHandler =
  (logger: Logger): ErrorRequestHandler =>
  (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // too late for a problem document (e.g. a stream that failed midway); express ends the connection
      logger.warn({ err: error, url: req.originalUrl }, 'error after the response started');
      next(error);
      return;
    }
    if (error instanceof HttpProblem) {
      sendProblem(res, { ...error.problem, instance: req.originalUrl });
      return;
    }
    const status = clientStatusOf(error);
    if (status !== undefined && typeof error === 'object' && error !== null) {
      sendProblem(res, { ...clientProblem(error, status).problem, instance: req.originalUrl });
      return;
    }
    if (error instanceof StoreUnavailableError) {
      // the store is down or restarting: a retry of the same command (same Idempotency-Key) is safe and may succeed
      logger.warn({ err: error, url: req.originalUrl }, 'store unavailable');
      res.setHeader('Retry-After', '1');
      sendProblem(res, {
        ...problem(503, 'StoreUnavailable', 'Store unavailable', `${error.store} cannot be reached now; retry later`)
          .problem,
        instance: req.originalUrl,
      });
      return;
    }
    logger.error({ err: error, url: req.originalUrl }, 'unhandled error');
    sendProblem(res, {
      ...problem(500, 'InternalError', 'Internal error', 'an unexpected error occurred; it has been logged').problem,
      instance: req.originalUrl,
    });
  };
