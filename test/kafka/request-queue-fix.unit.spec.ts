import { expect } from 'chai';
import '../../infra/kafka/client';
import { kafkaRequestQueue, type RequestQueueInternals } from '../../infra/kafka/request-queue-fix';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const queue = (): RequestQueueInternals & {
  throttledUntil: number;
  push(request: unknown): void;
  destroy(): void;
} => {
  const RequestQueue = kafkaRequestQueue();
  return new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'request-queue-fix-spec',
    broker: '127.0.0.1:9',
    logger: quiet,
  }) as never;
};

/** A request that expects no answer: the queue counts it sent as soon as it goes out. */
const request = (correlationId: number, sent: number[]) => ({
  entry: {
    correlationId,
    apiKey: 0,
    apiName: 'Produce',
    apiVersion: 3,
    resolve: () => undefined,
    reject: () => undefined,
  },
  expectResponse: false,
  sendRequest: () => {
    sent.push(correlationId);
  },
});

describe('kafkajs request queues (ADR 0026)', () => {
  it('an idle queue schedules no check of its pending requests, where kafkajs 2.2.4 re-arms a 1 ms timer forever', () => {
    const q = queue();
    try {
      q.checkPendingRequests();
      expect(q.throttleCheckTimeoutId).to.equal(null);
    } finally {
      q.destroy();
    }
  });

  it('a request that arrives while the broker throttles waits, and goes out by itself once the throttle ends', async () => {
    const q = queue();
    const sent: number[] = [];
    try {
      q.push(request(1, sent));
      expect(sent).to.deep.equal([1]);
      q.throttledUntil = Date.now() + 40;
      q.push(request(2, sent));
      expect(sent).to.deep.equal([1]);
      expect(q.throttleCheckTimeoutId).to.not.equal(null);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(sent).to.deep.equal([1, 2]);
      // sent: nothing waits any more, so nothing is scheduled
      expect(q.throttleCheckTimeoutId).to.equal(null);
    } finally {
      q.destroy();
    }
  });
});
