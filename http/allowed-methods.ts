import type { RequestHandler } from 'express';
import { problem } from './problem';

/**
 * Which methods a path supports, read from the express routers themselves (their layers and routes), so `Allow`,
 * 405 and OPTIONS stay true when a route is added. Only consulted off the hot path: for OPTIONS, for a request
 * no route served, and for a body of the wrong media type.
 */

interface MatchingLayer {
  readonly match: (path: string) => unknown;
  readonly route?: unknown;
  readonly handle?: unknown;
}

const isLayer = (value: unknown): value is MatchingLayer =>
  typeof value === 'object' && value !== null && 'match' in value && typeof value.match === 'function';

/** A route's `methods` map, e.g. `{ get: true }`. */
const routeMethods = (route: unknown): readonly string[] | undefined => {
  if (typeof route !== 'object' || route === null || !('methods' in route)) return undefined;
  const { methods } = route;
  if (typeof methods !== 'object' || methods === null) return undefined;
  // `_all` (router.all) is no single method; such a route answers every method itself, so it never reaches a 405
  return Object.entries(methods)
    .filter(([method, on]) => on === true && method !== '_all')
    .map(([method]) => method.toUpperCase());
};

/** A mounted router (a function carrying its own `stack`). */
const stackOf = (handle: unknown): readonly unknown[] | undefined => {
  if (typeof handle !== 'function' || !('stack' in handle)) return undefined;
  const { stack } = handle;
  return Array.isArray(stack) ? (stack as readonly unknown[]) : undefined;
};

const matchedPrefix = (match: unknown): string | undefined =>
  typeof match === 'object' && match !== null && 'path' in match && typeof match.path === 'string'
    ? match.path
    : undefined;

const collect = (stack: readonly unknown[], path: string, into: Set<string>): void => {
  for (const layer of stack) {
    if (!isLayer(layer)) continue;
    const route = layer.route === undefined ? undefined : routeMethods(layer.route);
    let match: unknown;
    try {
      match = layer.match(path);
    } catch {
      // the pattern matched but a parameter is not valid percent-encoding: the path still names this route
      match = route === undefined ? false : true;
    }
    if (match === false || match === undefined || match === null) continue;
    if (route !== undefined) {
      for (const method of route) into.add(method);
      continue;
    }
    const inner = stackOf(layer.handle);
    const prefix = matchedPrefix(match);
    if (inner === undefined || prefix === undefined) continue;
    const rest = path.slice(prefix.length);
    collect(inner, rest.startsWith('/') ? rest : `/${rest}`, into);
  }
};

/** Sorted methods the routers serve on `path` (GET implies HEAD; OPTIONS is answered for every known path); empty for an unknown path. */
export const allowedMethods = (stack: readonly unknown[], path: string): readonly string[] => {
  const methods = new Set<string>();
  collect(stack, path, methods);
  if (methods.size === 0) return [];
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return [...methods].sort();
};

/** OPTIONS on a known path: 204 with every method in `Allow` (express's own answer lists only the first router's). */
export const answerOptions =
  (methodsOf: (path: string) => readonly string[]): RequestHandler =>
  (req, res, next) => {
    if (req.method !== 'OPTIONS') {
      next();
      return;
    }
    const allowed = methodsOf(req.path);
    if (allowed.length === 0) {
      next();
      return;
    }
    res.setHeader('Allow', allowed.join(', '));
    res.status(204).end();
  };

/** After every router: a known path with another method is a 405 naming what it allows; an unknown path a 404. */
export const notFoundOrNotAllowed =
  (methodsOf: (path: string) => readonly string[]): RequestHandler =>
  (req, res, next) => {
    const allowed = methodsOf(req.path);
    // a route that let the request fall through (e.g. a static file that is not there) is a 404, not a 405
    if (allowed.length === 0 || allowed.includes(req.method)) {
      next(problem(404, 'NotFound', 'Not found', `no route for ${req.method} ${req.path}`));
      return;
    }
    res.setHeader('Allow', allowed.join(', '));
    next(
      problem(
        405,
        'MethodNotAllowed',
        'Method not allowed',
        `${req.method} is not supported on ${req.path}; it allows ${allowed.join(', ')}`,
        { allow: allowed },
      ),
    );
  };
