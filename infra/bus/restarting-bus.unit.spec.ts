import { expect } from 'chai';
import type { Consumer, ConsumerOptions, DeliveryHandler, MessageBus } from '../../ports/message-bus';
import { RestartingBus } from './restarting-bus';

/** A consumer whose `done` the test settles. */
class FakeConsumer implements Consumer {
  readonly caughtUp: Promise<void>;
  readonly done: Promise<void>;
  stopped = false;
  fail: (error: Error) => void = () => undefined;
  catchUp: () => void = () => undefined;
  private end: () => void = () => undefined;

  constructor() {
    this.caughtUp = new Promise((resolve) => {
      this.catchUp = resolve;
    });
    this.done = new Promise((resolve, reject) => {
      this.end = resolve;
      this.fail = reject;
    });
    this.done.catch(() => undefined);
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.end();
    return Promise.resolve();
  }
}

/** A bus that hands out fake consumers, or fails to start one while `refuse` is set. */
class FakeBus implements MessageBus {
  readonly started: FakeConsumer[] = [];
  readonly groups: string[] = [];
  refuse = false;
  closed = false;

  consume(options: ConsumerOptions, _handler: DeliveryHandler): Promise<Consumer> {
    this.groups.push(options.group);
    if (this.refuse) return Promise.reject(new Error('broker unreachable'));
    const consumer = new FakeConsumer();
    this.started.push(consumer);
    return Promise.resolve(consumer);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const quiet = { warn: () => undefined, error: () => undefined };
const until = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};
const handler: DeliveryHandler = () => Promise.resolve();

describe('RestartingBus', () => {
  it('starts a failed consumer again, in the same group, until it is stopped; done resolves on stop', async () => {
    const inner = new FakeBus();
    const bus = new RestartingBus(inner, { logger: quiet, initialDelayMs: 1, maxDelayMs: 4 });
    const consumer = await bus.consume({ group: 'g' }, handler);
    inner.started[0]?.fail(new Error('broker gone'));
    await until(() => inner.started.length === 2, 'a second incarnation');
    expect(inner.started[0]?.stopped, 'the failed incarnation was let go').to.equal(true);
    // starting again fails while the broker is away: it keeps trying
    inner.refuse = true;
    inner.started[1]?.fail(new Error('handler failed: store down'));
    await until(() => inner.groups.length >= 4, 'attempts while refused');
    inner.refuse = false;
    await until(() => inner.started.length === 3, 'a third incarnation once the broker is back');
    expect(new Set(inner.groups)).to.deep.equal(new Set(['g']));
    await consumer.stop();
    expect(inner.started[2]?.stopped).to.equal(true);
    await consumer.done;
    const attempts = inner.groups.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(inner.groups.length, 'nothing starts after stop').to.equal(attempts);
  });

  it('is caught up once an incarnation catches up, and rejects caughtUp only when stopped before', async () => {
    const inner = new FakeBus();
    const bus = new RestartingBus(inner, { logger: quiet, initialDelayMs: 1 });
    const first = await bus.consume({ group: 'a' }, handler);
    inner.started[0]?.fail(new Error('gone'));
    await until(() => inner.started.length === 2, 'a second incarnation');
    inner.started[1]?.catchUp();
    await first.caughtUp;
    const second = await bus.consume({ group: 'b' }, handler);
    await bus.close();
    expect(inner.closed).to.equal(true);
    expect(inner.started.every((c) => c.stopped)).to.equal(true);
    const outcome = await second.caughtUp.then(
      () => 'caught up',
      (error: unknown) => (error as Error).message,
    );
    expect(outcome).to.match(/stopped before it caught up/);
  });

  it('fails the first start as the inner bus does', async () => {
    const inner = new FakeBus();
    inner.refuse = true;
    const bus = new RestartingBus(inner, { logger: quiet });
    const error = await bus.consume({ group: 'g' }, handler).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).to.equal('broker unreachable');
  });
});
