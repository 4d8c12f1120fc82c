import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { parseApiKeys } from '../../app/config';
import { createHttpApp, listen, type RunningServer } from '../../http/app';
import { createLogger } from '../../infra/observability/logger';
import { createMetrics } from '../../infra/observability/metrics';
import { SseParser, type SseEvent } from '../../dashboard/src/sse';
import { liveRoutes, pollingPositions, type LiveDeps } from '../../read-api/live';
import { eventually } from './harness';

/** Stands in for the projection runner: `advance('orders', 7)` is a batch applied up to position 7. */
class Positions {
  private readonly emitter = new EventEmitter();
  readonly onPosition: LiveDeps['onPosition'] = (listener) => {
    this.emitter.on('position', listener);
    return () => {
      this.emitter.off('position', listener);
    };
  };
  advance(projection: string, position: number): void {
    this.emitter.emit('position', projection, position);
  }
  get listeners(): number {
    return this.emitter.listenerCount('position');
  }
}

interface Stream {
  readonly status: number;
  /** the next `count` events (comments included as `comment` events when `comments` is set) */
  next(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** resolves true once the server ended the stream */
  ended(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

const open = async (url: string, headers: Record<string, string> = {}, comments = false): Promise<Stream> => {
  const controller = new AbortController();
  const response = await fetch(`${url}/v1/stream`, { headers, signal: controller.signal });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  const queue: SseEvent[] = [];
  let done = false;
  const pump = async (timeoutMs: number, until: () => boolean): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!until() && !done) {
      if (reader === undefined) throw new Error(`no body (status ${response.status})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for the stream');
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error('timed out waiting for the stream'));
          }, left);
        }),
      ]).finally(() => {
        clearTimeout(timer);
      });
      if (chunk.done) {
        done = true;
        break;
      }
      if (comments && chunk.value.includes(': keep-alive')) queue.push({ event: 'comment', data: 'keep-alive' });
      queue.push(...parser.push(chunk.value));
    }
  };
  return {
    status: response.status,
    async next(count, timeoutMs = 3_000) {
      await pump(timeoutMs, () => queue.length >= count);
      return queue.splice(0, count);
    },
    async ended(timeoutMs = 3_000) {
      await pump(timeoutMs, () => false);
      return done;
    },
    close() {
      controller.abort();
    },
  };
};

describe('the live stream (GET /v1/stream)', () => {
  let server: RunningServer | undefined;
  let url = '';
  let positions: Positions;
  let shutdown: AbortController;
  const streams: Stream[] = [];

  const start = async (options: Partial<LiveDeps> = {}, apiKeys = ''): Promise<void> => {
    positions = new Positions();
    shutdown = new AbortController();
    const app = createHttpApp({
      logger: createLogger('silent'),
      metrics: createMetrics(false),
      apiKeys: parseApiKeys(apiKeys, []),
      bodyLimit: '64kb',
      v1: [
        liveRoutes({
          onPosition: positions.onPosition,
          positions: () => Promise.resolve({ orders: 3, skus: 2 }),
          flushMs: 20,
          signal: shutdown.signal,
          ...options,
        }),
      ],
      openApi: () => ({}),
      ready: () => Promise.resolve(true),
    });
    server = await listen(app, '127.0.0.1', 0);
    url = `http://127.0.0.1:${server.port}`;
  };

  const connect = async (headers: Record<string, string> = {}, comments = false): Promise<Stream> => {
    const stream = await open(url, headers, comments);
    streams.push(stream);
    return stream;
  };

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    shutdown.abort();
    await server?.close(1_000);
  });

  it('starts with a hello carrying the current positions, then reports each projection that advances', async () => {
    await start();
    const stream = await connect();
    expect(stream.status).to.equal(200);
    const [hello] = await stream.next(1);
    expect(hello).to.deep.equal({ event: 'hello', data: JSON.stringify({ positions: { orders: 3, skus: 2 } }) });

    positions.advance('orders', 7);
    const [event] = await stream.next(1);
    expect(event?.event).to.equal('position');
    expect(JSON.parse(event?.data ?? '{}')).to.deep.equal({ projection: 'orders', position: 7 });
  });

  it('coalesces a burst of batches into the latest position of each projection', async () => {
    await start({ flushMs: 100 });
    const stream = await connect();
    await stream.next(1);
    positions.advance('orders', 4);
    positions.advance('sales', 4);
    positions.advance('orders', 5);
    positions.advance('orders', 6);
    const events = await stream.next(2);
    expect(events.map((e) => JSON.parse(e.data) as unknown)).to.deep.equal([
      { projection: 'orders', position: 6 },
      { projection: 'sales', position: 4 },
    ]);
  });

  it('sends keep-alive comments while nothing happens', async () => {
    await start({ keepAliveMs: 50 });
    const stream = await connect({}, true);
    const events = await stream.next(3);
    expect(events.map((e) => e.event)).to.include('comment');
  });

  it('answers 401 without a key and 403 for a key without the read scope, and streams for a reader', async () => {
    await start({}, 'reader-key-0001=read;writer-key-0001=orders:write');
    expect((await connect()).status).to.equal(401);
    expect((await connect({ Authorization: 'Bearer writer-key-0001' })).status).to.equal(403);
    const reader = await connect({ Authorization: 'Bearer reader-key-0001' });
    expect(reader.status).to.equal(200);
    expect((await reader.next(1))[0]?.event).to.equal('hello');
  });

  it('refuses one client more than the limit with a 503 problem, and takes one again once a client left', async () => {
    await start({ maxClients: 2 });
    const first = await connect();
    await connect();
    const refused = await fetch(`${url}/v1/stream`);
    expect(refused.status).to.equal(503);
    expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).to.equal('30');
    expect(((await refused.json()) as { type: string }).type).to.equal('/problems/too-many-streams');

    first.close();
    await eventually(async () => {
      const again = await connect();
      expect(again.status).to.equal(200);
    }, 3_000);
  });

  it('stops listening to positions when the client goes away', async () => {
    await start();
    const stream = await connect();
    await stream.next(1);
    expect(positions.listeners).to.equal(1);
    stream.close();
    await eventually(() => {
      expect(positions.listeners).to.equal(0);
    }, 3_000);
  });

  it('polls a progress source while someone listens, for processes without an in-process runner', async () => {
    const current = new Map([
      ['orders', 5],
      ['skus', 5],
    ]);
    let polls = 0;
    const progress = {
      position: (name: string) => {
        polls++;
        return Promise.resolve(current.get(name) ?? 0);
      },
    };
    await start(pollingPositions(progress, ['orders', 'skus'], 20));
    const stream = await connect();
    const [hello] = await stream.next(1);
    expect(JSON.parse(hello?.data ?? '{}')).to.deep.equal({ positions: { orders: 5, skus: 5 } });
    await eventually(() => {
      expect(polls).to.be.above(4);
    }, 3_000);

    current.set('skus', 9);
    const [event] = await stream.next(1);
    expect(JSON.parse(event?.data ?? '{}')).to.deep.equal({ projection: 'skus', position: 9 });

    stream.close();
    await eventually(async () => {
      const settled = polls;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(polls).to.equal(settled);
    }, 3_000);
  });

  it('ends every open stream when the shutdown signal fires, so the server can close at once', async () => {
    await start();
    const stream = await connect();
    await stream.next(1);
    shutdown.abort();
    expect(await stream.ended()).to.equal(true);
    expect(positions.listeners).to.equal(0);
  });
});
