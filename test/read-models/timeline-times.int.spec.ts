import { expect } from 'chai';
import type { ManualClock } from '../../ports/clock';
import { post } from '../api-spec';
import { defineSku, given, placeOrder, restock, startSagaApi, type SagaTestApi } from '../sagas/runner-harness';

interface TimelineEntry {
  readonly at: string;
  readonly type: string;
  readonly position: number;
}

/** Every step of the saga takes a second of (manual) clock time, so each event is recorded at its own instant. */
const startSlowSagaApi = async (): Promise<SagaTestApi> => {
  const clock: { current?: ManualClock } = {};
  const api = await startSagaApi({
    hooks: {
      at: (point) => {
        if (point === 'after-append') clock.current?.advance(1_000);
      },
    },
  });
  clock.current = api.clock;
  return api;
};

describe('the timeline of an order the sagas work on', () => {
  let api: SagaTestApi;
  beforeEach(async () => {
    api = await startSlowSagaApi();
    await given(
      api,
      defineSku('MUG-1', 1250),
      restock('MUG-1', 10),
      placeOrder('o-1', [{ sku: 'MUG-1', quantity: 2 }]),
    );
  });
  afterEach(async () => {
    await api.close();
  });

  const timelineOf = async (orderId: string): Promise<readonly TimelineEntry[]> =>
    (await api.order(orderId)).timeline as TimelineEntry[];

  /** `at` of each entry against the time the store recorded its event. */
  const expectRecordedTimes = async (timeline: readonly TimelineEntry[]): Promise<void> => {
    const recorded = new Map<number, string>();
    for (const streamId of ['order-o-1', 'payment-o-1', 'sku-MUG-1']) {
      for (const e of await api.stream(streamId)) recorded.set(e.position, e.metadata.timestamp);
    }
    for (const entry of timeline) {
      expect(entry.at, `${entry.type} at position ${entry.position}`).to.equal(recorded.get(entry.position));
    }
  };

  describe('when the saga confirms it', () => {
    it('shows each step at the time its event was recorded, not at the time of placement', async () => {
      const timeline = await timelineOf('o-1');
      expect(timeline.map((t) => t.type)).to.deep.equal([
        'OrderPlaced',
        'StockReserved',
        'PaymentAuthorized',
        'OrderConfirmed',
        'PaymentCaptured',
      ]);
      await expectRecordedTimes(timeline);
      const [placed, reserved, authorized, confirmed] = timeline.map((t) => Date.parse(t.at));
      expect(reserved).to.be.above(placed ?? Infinity);
      expect(authorized).to.be.above(reserved ?? Infinity);
      expect(confirmed).to.be.above(authorized ?? Infinity);
      const order = await api.order('o-1');
      expect(order.confirmedAt).to.equal(timeline[3]?.at);
    });
  });

  describe('when it is cancelled and the saga refunds the capture', () => {
    it('shows the release and the payout at the times they were recorded', async () => {
      await api.settle();
      api.clock.advance(60_000);
      await given(api, post('/v1/orders/o-1/cancel', { reason: 'changed my mind' }));
      const timeline = await timelineOf('o-1');
      const cancelled = timeline.find((t) => t.type === 'OrderCancelled');
      const paidBack = timeline.find((t) => t.type === 'PaymentRefunded');
      const released = timeline.find((t) => t.type === 'ReservationReleased');
      expect(Date.parse(paidBack?.at ?? '')).to.be.above(Date.parse(cancelled?.at ?? ''));
      expect(Date.parse(released?.at ?? '')).to.be.above(Date.parse(cancelled?.at ?? ''));
      await expectRecordedTimes(timeline);
    });
  });
});
