import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from '../observability/logger';
import type { FieldError } from '../../domain/shared';

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

export const validationProblem = (errors: readonly FieldError[], what = 'request body'): HttpProblem =>
  problem(
    400,
    'ValidationFailed',
    'The request is not valid',
    `${what}: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
    { errors },
  );

/** Last middleware: every error becomes problem+json; never a stack trace, never a 500 for bad input. */
export const problemHandler =
  (logger: Logger): ErrorRequestHandler =>
  (error: unknown, req, res, _next) => {
    if (error instanceof HttpProblem) {
      sendProblem(res, { ...error.problem, instance: req.originalUrl });
      return;
    }
    // body-parser errors carry a status and a type
    if (typeof error === 'object' && error !== null && 'type' in error && 'status' in error) {
      const status = typeof error.status === 'number' ? error.status : 400;
      if (error.type === 'entity.parse.failed') {
        sendProblem(res, {
          ...problem(400, 'MalformedJson', 'Malformed JSON', 'the request body is not valid JSON').problem,
          instance: req.originalUrl,
        });
        return;
      }
      if (error.type === 'entity.too.large') {
        sendProblem(res, {
          ...problem(413, 'PayloadTooLarge', 'Payload too large', 'the request body exceeds the size limit').problem,
          instance: req.originalUrl,
        });
        return;
      }
      if (status >= 400 && status < 500) {
        sendProblem(res, {
          ...problem(status, 'BadRequest', 'Bad request', 'the request could not be read').problem,
          instance: req.originalUrl,
        });
        return;
      }
    }
    logger.error({ err: error, url: req.originalUrl }, 'unhandled error');
    sendProblem(res, {
      ...problem(500, 'InternalError', 'Internal error', 'an unexpected error occurred; it has been logged').problem,
      instance: req.originalUrl,
    });
  };
