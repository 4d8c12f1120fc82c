import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { checkOut } from './pg-checkout';

type Callback = (error: Error | undefined, client: pg.PoolClient | undefined, done: (error?: Error) => void) => void;

/**
 * A pool that hands its client over when the test says, as pg-pool does while it parses another connection's answer:
 * the waiter's callback runs, and in the same turn the handed-over connection may already report its end.
 */
const handingPool = () => {
  const client = new EventEmitter() as unknown as pg.PoolClient;
  const released: (Error | undefined)[] = [];
  let waiting: Callback | undefined;
  const pool = {
    connect: (callback: Callback) => {
      waiting = callback;
    },
  } as unknown as pg.Pool;
  const handOver = (goodbye?: Error): void => {
    waiting?.(undefined, client, (error) => released.push(error));
    // the server's goodbye for this connection, in the chunk that finished the previous answer
    if (goodbye !== undefined) client.emit('error', goodbye);
  };
  return { pool, client, released, handOver, fail: (error: Error) => waiting?.(error, undefined, () => undefined) };
};

describe('checking a PostgreSQL client out of the pool', () => {
  it('hears a connection error emitted in the same turn as the hand-over, and closes that client on release', async () => {
    const { pool, released, handOver } = handingPool();
    const checking = checkOut(pool);
    const goodbye = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    // with `await pool.connect()` this emit had no listener yet and ended the process
    expect(() => {
      handOver(goodbye);
    }).not.to.throw();
    const checkedOut = await checking;
    expect(checkedOut.broken()).to.equal(goodbye);
    checkedOut.release();
    expect(released).to.deep.equal([goodbye]);
  });

  it('gives a healthy client back for reuse and stops listening to it', async () => {
    const { pool, client, released, handOver } = handingPool();
    const checking = checkOut(pool);
    handOver();
    const checkedOut = await checking;
    expect(client.listenerCount('error')).to.equal(1);
    checkedOut.release();
    expect(released).to.deep.equal([undefined]);
    expect(client.listenerCount('error')).to.equal(0);
  });

  it('releases with the caller’s error when the work failed, and rejects when the pool could not connect', async () => {
    const first = handingPool();
    const checking = checkOut(first.pool);
    first.handOver();
    const failed = new Error('statement failed');
    (await checking).release(failed);
    expect(first.released).to.deep.equal([failed]);
    const second = handingPool();
    const refused = checkOut(second.pool);
    second.fail(new Error('connect ECONNREFUSED'));
    const outcome = await refused.then(
      () => 'resolved',
      (error: unknown) => (error as Error).message,
    );
    expect(outcome).to.equal('connect ECONNREFUSED');
  });
});
