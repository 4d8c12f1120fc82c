import express, { type Request, type Response, type Router } from 'express';
import { requireScope } from '../http/middleware';
import { problem } from '../http/problem';
import type { ProjectionRunner } from '../projections/runner';
import type { ProjectionProgress } from './progress';

/** Unsubscribes a listener. */
export type Unsubscribe = () => void;

export type PositionListener = (projection: string, position: number) => void;

export interface LiveDeps {
  /** subscribes to "projection `projection` has applied every event up to `position`" */
  readonly onPosition: (listener: PositionListener) => Unsubscribe;
  /** positions right now, sent as the first event so a client knows where it starts */
  readonly positions?: () => Promise<Readonly<Record<string, number>>>;
  /** open streams at most; one more is answered 503 (default 100) */
  readonly maxClients?: number;
  /** a comment line this often keeps proxies from closing an idle stream (default 15 s) */
  readonly keepAliveMs?: number;
  /** a stream writes at most this often; a burst of batches coalesces into the latest position (default 250 ms) */
  readonly flushMs?: number;
  /** aborting ends every open stream: call it on shutdown, or the HTTP server waits for them to close */
  readonly signal?: AbortSignal;
}

const DEFAULT_MAX_CLIENTS = 100;
const DEFAULT_KEEP_ALIVE_MS = 15_000;
const DEFAULT_FLUSH_MS = 250;
/** what an EventSource waits before reconnecting after a dropped stream */
const RECONNECT_MS = 3_000;

const message = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * `GET /v1/stream` (scope `read`): server-sent events for dashboards. The first event is `hello` with the current
 * positions (when known); then a `position` event `{ projection, position }` whenever a projection advances.
 * The key travels in the Authorization header (the dashboard reads the stream with fetch), never in the URL.
 */
export const liveRoutes = (deps: LiveDeps): Router => {
  const router = express.Router();
  const maxClients = deps.maxClients ?? DEFAULT_MAX_CLIENTS;
  const keepAliveMs = deps.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const flushMs = deps.flushMs ?? DEFAULT_FLUSH_MS;
  const open = new Set<() => void>();
  deps.signal?.addEventListener(
    'abort',
    () => {
      for (const end of [...open]) end();
    },
    { once: true },
  );

  const stream = (req: Request, res: Response): void => {
    // latest position per projection not yet written: memory stays bounded however slow the client reads
    const pending = new Map<string, number>();
    let flushTimer: NodeJS.Timeout | undefined;
    let blocked = false;
    let ended = false;

    const write = (text: string): void => {
      if (!res.write(text)) blocked = true;
    };
    const flush = (): void => {
      flushTimer = undefined;
      if (blocked || ended) return;
      for (const [projection, position] of pending) write(message('position', { projection, position }));
      pending.clear();
    };
    const schedule = (): void => {
      flushTimer ??= setTimeout(flush, flushMs);
    };
    const unsubscribe = deps.onPosition((projection, position) => {
      if (position > (pending.get(projection) ?? -1)) pending.set(projection, position);
      schedule();
    });
    const keepAlive = setInterval(() => {
      // still blocked a whole interval later: the client does not read, so stop holding its socket
      if (blocked) res.destroy();
      else write(': keep-alive\n\n');
    }, keepAliveMs);
    const end = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(keepAlive);
      clearTimeout(flushTimer);
      open.delete(end);
      if (!res.writableEnded) res.end();
    };
    open.add(end);
    res.on('close', end);
    res.on('drain', () => {
      blocked = false;
      schedule();
    });

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx buffers responses unless told not to, which would hold events back
    res.setHeader('X-Accel-Buffering', 'no');
    req.socket.setNoDelay(true);
    res.flushHeaders();
    write(`retry: ${RECONNECT_MS}\n\n`);
    const hello = deps.positions?.() ?? Promise.resolve(undefined);
    hello.then(
      (positions) => {
        if (!ended) write(message('hello', { positions: positions ?? {} }));
      },
      () => {
        if (!ended) write(message('hello', { positions: {} }));
      },
    );
  };

  router.get('/stream', requireScope('read'), (req, res, next) => {
    if (open.size >= maxClients) {
      res.setHeader('Retry-After', '30');
      next(problem(503, 'TooManyStreams', 'Too many live streams', `at most ${maxClients} live streams may be open`));
      return;
    }
    if (deps.signal?.aborted === true) {
      next(problem(503, 'ShuttingDown', 'Shutting down', 'the server is shutting down'));
      return;
    }
    stream(req, res);
  });

  return router;
};

/**
 * `onPosition` and `positions` for a process without an in-process projection runner (the distributed read API):
 * one poll of `progress` every `intervalMs`, only while at least one stream listens, reporting what advanced.
 */
export const pollingPositions = (
  progress: Pick<ProjectionProgress, 'position'>,
  projections: readonly string[],
  intervalMs = 1_000,
): Pick<LiveDeps, 'onPosition' | 'positions'> => {
  const listeners = new Set<PositionListener>();
  const last = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let busy = false;

  const read = async (): Promise<Record<string, number>> => {
    const entries = await Promise.all(
      projections.map(async (name): Promise<[string, number]> => [name, await progress.position(name)]),
    );
    return Object.fromEntries(entries);
  };

  const poll = async (): Promise<void> => {
    // a slow read store must not pile up polls
    if (busy) return;
    busy = true;
    try {
      for (const [name, position] of Object.entries(await read())) {
        const before = last.get(name);
        if (before !== undefined && position <= before) continue;
        last.set(name, position);
        // the first poll only sets the baseline: each client got the positions in its hello
        if (before !== undefined) for (const listener of listeners) listener(name, position);
      }
    } catch {
      // the read store is unavailable for a moment; the next poll tries again
    } finally {
      busy = false;
    }
  };

  return {
    onPosition(listener) {
      listeners.add(listener);
      if (timer === undefined) {
        void poll();
        timer = setInterval(() => void poll(), intervalMs);
        timer.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        clearInterval(timer);
        timer = undefined;
        last.clear();
      };
    },
    positions: read,
  };
};

/** `onPosition` and `positions` of the embedded engine: pushed by its projection runner after every batch. */
export const runnerPositions = (
  runner: Pick<ProjectionRunner, 'onPosition' | 'statuses'>,
): Pick<LiveDeps, 'onPosition' | 'positions'> => ({
  onPosition: (listener) => runner.onPosition(listener),
  positions: () => Promise.resolve(Object.fromEntries(runner.statuses().map((s) => [s.name, s.position]))),
});
