import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { Registry } from 'prom-client';
import { FlowControl, type Admission, type FlowRequest, type Pressure } from '../../http/flow/flow-control';
import { decodeFlowRules, defaultFlowRules, type FlowRules } from '../../http/flow/rules';
import { KeyedBuckets, TokenBucket } from '../../http/flow/token-bucket';

const place = (over: Partial<FlowRequest> = {}): FlowRequest => ({
  operation: 'placeOrder',
  client: 'key:0',
  customerId: 'cust-1',
  skus: ['MUG-1'],
  ...over,
});

const rules = (value: unknown): FlowRules => {
  const decoded = decodeFlowRules(value, new Set(['placeOrder', 'cancelOrder', 'getOrder']));
  if (E.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
  return decoded.right;
};

/** Flow control on a hand-moved clock (ms) and a pressure the test sets. */
const flow = (value: unknown, pressure: Pressure = { backlog: 0, lagMs: 0, eventLoopDelayMs: 0 }) => {
  let now = 1_000_000;
  let current = pressure;
  const registry = new Registry();
  const control = new FlowControl({ rules: rules(value), now: () => now, pressure: () => current, registry });
  return {
    control,
    registry,
    advance(ms: number) {
      now += ms;
    },
    pressure(next: Pressure) {
      current = next;
    },
    /** admits `n` requests at this instant; answers how many passed and the refusals */
    burst(n: number, request: FlowRequest = place()) {
      const outcomes: Admission[] = [];
      for (let i = 0; i < n; i++) outcomes.push(control.admit(request));
      return {
        passed: outcomes.filter((o) => o.admitted).length,
        refusals: outcomes.flatMap((o) => (o.admitted ? [] : [o])),
        outcomes,
      };
    },
  };
};

const counted = async (registry: Registry, rule: string, outcome: string): Promise<number> => {
  const metric = await registry.getSingleMetric('flow_decisions_total')?.get();
  return metric?.values.find((v) => v.labels.rule === rule && v.labels.outcome === outcome)?.value ?? 0;
};

describe('a token bucket', () => {
  it('lets a burst pass, then one request per 1/rate seconds', () => {
    const bucket = new TokenBucket(10, 3, 0);
    for (let i = 0; i < 3; i++) {
      expect(bucket.waitMs(0)).to.equal(0);
      bucket.take(0);
    }
    expect(bucket.waitMs(0)).to.equal(100);
    expect(bucket.waitMs(99)).to.equal(1);
    expect(bucket.waitMs(100)).to.equal(0);
  });

  it('never holds more than its burst, however long it was idle', () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect(bucket.idle(60_000)).to.equal(true);
    bucket.take(60_000);
    bucket.take(60_000);
    expect(bucket.waitMs(60_000)).to.be.greaterThan(0);
  });

  it('forgets full keyed buckets when it sweeps, and only those', () => {
    const buckets = new KeyedBuckets(1, 1, 0, 1_000);
    buckets.get('a', 0).take(0);
    buckets.get('b', 0);
    expect(buckets.size).to.equal(2);
    buckets.get('c', 500);
    buckets.get('a', 1_000);
    // at 1,000 ms the sweep dropped b and c (full) and kept a, which had refilled only now
    expect(buckets.size).to.be.at.most(2);
  });
});

describe('flow control', () => {
  describe('with a rate per operation', () => {
    it('refuses exactly past the burst with 429, Retry-After from the refill, and passes again after it', async () => {
      const f = flow({ operations: [{ operation: 'placeOrder', perSecond: 50, burst: 5 }] });
      const first = f.burst(8);
      expect(first.passed).to.equal(5);
      expect(first.refusals).to.have.length(3);
      expect(first.refusals[0]).to.include({ status: 429, rule: 'operation:placeOrder', retryAfterSeconds: 1 });
      f.advance(20);
      expect(f.burst(2).passed).to.equal(1);
      expect(await counted(f.registry, 'operation:placeOrder', 'passed')).to.equal(6);
      expect(await counted(f.registry, 'operation:placeOrder', 'blocked')).to.equal(4);
    });

    it('does not limit other operations', () => {
      const f = flow({ operations: [{ operation: 'placeOrder', perSecond: 1, burst: 1 }] });
      expect(f.burst(1).passed).to.equal(1);
      expect(f.burst(10, { operation: 'cancelOrder', client: 'key:0' }).passed).to.equal(10);
    });
  });

  describe('with a concurrency limit', () => {
    it('refuses while the limit is in flight and admits again once one is released', () => {
      const f = flow({ operations: [{ operation: 'placeOrder', concurrent: 2 }] });
      const { outcomes, passed, refusals } = f.burst(3);
      expect(passed).to.equal(2);
      expect(refusals[0]).to.include({ status: 429, rule: 'concurrent:placeOrder' });
      const first = outcomes[0];
      if (first === undefined || !first.admitted) throw new Error('the first request should pass');
      first.release();
      first.release(); // a second release frees nothing more
      expect(f.burst(2).passed).to.equal(1);
    });

    it('keeps slots in flight across a change of rules', () => {
      const f = flow({ operations: [{ operation: 'placeOrder', concurrent: 1 }] });
      expect(f.burst(1).passed).to.equal(1);
      f.control.replace(rules({ operations: [{ operation: 'placeOrder', concurrent: 2 }] }));
      expect(f.burst(2).passed).to.equal(1);
    });
  });

  describe('with rates per key, per customer and per SKU', () => {
    it('limits each key on its own', () => {
      const f = flow({ perKey: { perSecond: 2 } });
      expect(f.burst(3, place({ client: 'key:0' })).passed).to.equal(2);
      expect(f.burst(3, place({ client: 'key:1' })).passed).to.equal(2);
    });

    it('limits each customer on its own, and requests without a customer not at all', () => {
      const f = flow({ perCustomer: { perSecond: 1 } });
      expect(f.burst(2, place({ customerId: 'a' })).passed).to.equal(1);
      expect(f.burst(2, place({ customerId: 'b' })).passed).to.equal(1);
      expect(f.burst(2, { operation: 'getOrder', client: 'key:0' }).passed).to.equal(2);
    });

    it('refuses a hot SKU past its limit while placements of other SKUs pass', () => {
      const f = flow({ hotSku: { perSecond: 100, burst: 10 } });
      const hot = f.burst(50, place({ skus: ['HOT-1'] }));
      expect(hot.passed).to.equal(10);
      expect(hot.refusals[0]).to.include({ status: 429, rule: 'hotSku' });
      expect(f.burst(10, place({ skus: ['MUG-1'] })).passed).to.equal(10);
    });

    it('takes no token from any rule for a refused request', () => {
      const f = flow({ perKey: { perSecond: 3 }, hotSku: { perSecond: 1 } });
      expect(f.burst(1, place({ skus: ['HOT-1'] })).passed).to.equal(1);
      // refused by the hot SKU: the key's bucket keeps its two remaining tokens
      expect(f.burst(5, place({ skus: ['HOT-1'] })).passed).to.equal(0);
      const others = ['A', 'B', 'C'].map((sku) => f.control.admit(place({ skus: [sku] })).admitted);
      expect(others).to.deep.equal([true, true, false]);
    });
  });

  describe('when the engine falls behind', () => {
    const shedding = {
      shedding: { operations: ['placeOrder'], maxBacklog: 1_000, maxEventLoopDelayMs: 200, retryAfterSeconds: 2 },
    };

    it('sheds placements with 503 past the backlog limit, and keeps cancels and reads working', () => {
      const f = flow(shedding, { backlog: 1_001, lagMs: 0, eventLoopDelayMs: 0 });
      const shed = f.burst(1);
      expect(shed.refusals[0]).to.include({ status: 503, rule: 'shedding:backlog', retryAfterSeconds: 2 });
      expect(f.burst(5, { operation: 'cancelOrder', client: 'key:0' }).passed).to.equal(5);
      expect(f.burst(5, { operation: 'getOrder', client: 'key:0' }).passed).to.equal(5);
    });

    it('sheds on event-loop delay too, and admits again once the pressure is gone', () => {
      const f = flow(shedding, { backlog: 0, lagMs: 0, eventLoopDelayMs: 201 });
      expect(f.burst(1).refusals[0]).to.include({ status: 503, rule: 'shedding:eventLoopDelay' });
      f.pressure({ backlog: 1_000, lagMs: 0, eventLoopDelayMs: 200 });
      expect(f.burst(1).passed).to.equal(1);
    });

    it('sheds on the lag in time the consumers run behind', () => {
      const f = flow({ shedding: { maxLagMs: 1_000 } }, { backlog: 3, lagMs: 1_001, eventLoopDelayMs: 0 });
      expect(f.burst(1).refusals[0]).to.include({ status: 503, rule: 'shedding:lag' });
      f.pressure({ backlog: 3, lagMs: 999, eventLoopDelayMs: 0 });
      expect(f.burst(1).passed).to.equal(1);
    });

    it('sheds nothing without shedding thresholds', () => {
      const f = flow({}, { backlog: 1e9, lagMs: 1e9, eventLoopDelayMs: 1e6 });
      expect(f.burst(3).passed).to.equal(3);
    });
  });
});

describe('flow rules', () => {
  it('name every problem by its field', () => {
    const decoded = decodeFlowRules(
      {
        operations: [{ operation: 'placeOrder', perSecond: 0 }, { operation: 'nope' }, { operation: 'placeOrder' }],
        hotSku: { burst: 3 },
        shedding: { operations: ['alsoNope'] },
        typo: true,
      },
      new Set(['placeOrder']),
    );
    if (E.isRight(decoded)) throw new Error('expected problems');
    const fields = decoded.left.map((e) => e.field);
    expect(fields).to.include.members(['operations.0.perSecond', 'hotSku.perSecond', 'typo']);
    const checked = decodeFlowRules(
      { operations: [{ operation: 'nope' }, { operation: 'placeOrder', burst: 2 }], shedding: { operations: ['x'] } },
      new Set(['placeOrder']),
    );
    if (E.isRight(checked)) throw new Error('expected problems');
    expect(checked.left.map((e) => e.field)).to.deep.equal([
      'operations.0.operation',
      'operations.1.burst',
      'shedding.operations.0',
    ]);
  });

  it('accept the defaults for the API the engine serves', () => {
    expect(E.isRight(decodeFlowRules(defaultFlowRules, new Set(['placeOrder'])))).to.equal(true);
  });
});
