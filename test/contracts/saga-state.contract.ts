import { expect } from 'chai';
import { timestamp } from '../../domain/shared';
import type { Deadline } from '../../domain/sagas';
import type { SagaStateStore } from '../../ports/saga-state';

export interface SagaStateFixture {
  readonly store: SagaStateStore;
  /** closes what the fixture opened and removes its storage */
  close(): Promise<void>;
}

const deadline = (deadlineId: string, dueAt: string, kind = 'PaymentTimeout'): Deadline => ({
  deadlineId,
  kind,
  dueAt: timestamp(dueAt),
});

const T0 = Date.parse('2026-03-01T10:00:00.000Z');

/**
 * What every saga state store (ports/saga-state.ts) must do, whoever keeps it: timers mirror the last revision's
 * deadlines, due timers are claimed once per claim time, and the dispatch log keeps one row per step until it is
 * finished, handing stale rows to a sweep once each.
 */
export const sagaStateContract = (name: string, open: () => Promise<SagaStateFixture>): void => {
  describe(`the saga state store contract: ${name}`, () => {
    let fixture: SagaStateFixture;
    let store: SagaStateStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.close();
    });

    describe('timers', () => {
      it("keeps exactly a saga's deadlines, replaced as a whole", async () => {
        await store.replaceTimers('fulfilment', 'saga-a', 0, [
          deadline('payment-timeout', '2026-03-01T10:15:00.000Z'),
          deadline('retry-1', '2026-03-01T10:00:01.000Z', 'AuthorizationRetry'),
        ]);
        await store.replaceTimers('refund', 'saga-b', 0, [deadline('refund-retry-1', '2026-03-01T10:00:05.000Z')]);
        expect((await store.timersOf('saga-a')).map((t) => [t.deadlineId, t.kind, t.dueAt, t.dueMs])).to.deep.equal([
          ['retry-1', 'AuthorizationRetry', '2026-03-01T10:00:01.000Z', T0 + 1_000],
          ['payment-timeout', 'PaymentTimeout', '2026-03-01T10:15:00.000Z', T0 + 15 * 60_000],
        ]);
        await store.replaceTimers('fulfilment', 'saga-a', 1, [deadline('payment-timeout', '2026-03-01T10:20:00.000Z')]);
        expect((await store.timersOf('saga-a')).map((t) => [t.deadlineId, t.dueAt])).to.deep.equal([
          ['payment-timeout', '2026-03-01T10:20:00.000Z'],
        ]);
        expect(await store.timerCount()).to.equal(2);
        await store.replaceTimers('fulfilment', 'saga-a', 2, []);
        expect(await store.timersOf('saga-a')).to.deep.equal([]);
        expect(await store.timerCount()).to.equal(1);
      });

      it('drops a write decided at an older revision than the last one (two runners stepping one saga)', async () => {
        await store.replaceTimers('fulfilment', 'saga-a', 5, [deadline('newer', '2026-03-01T10:05:00.000Z')]);
        await store.replaceTimers('fulfilment', 'saga-a', 4, [deadline('older', '2026-03-01T10:04:00.000Z')]);
        expect((await store.timersOf('saga-a')).map((t) => t.deadlineId)).to.deep.equal(['newer']);
        await store.replaceTimers('fulfilment', 'saga-a', 6, [deadline('latest', '2026-03-01T10:06:00.000Z')]);
        expect((await store.timersOf('saga-a')).map((t) => t.deadlineId)).to.deep.equal(['latest']);
      });

      it('claims due timers once, earliest first, until the claim runs out', async () => {
        await store.replaceTimers('fulfilment', 'saga-a', 0, [
          deadline('later', '2026-03-01T10:00:03.000Z'),
          deadline('sooner', '2026-03-01T10:00:01.000Z'),
          deadline('not-yet', '2026-03-01T11:00:00.000Z'),
        ]);
        await store.replaceTimers('refund', 'saga-b', 0, [deadline('middle', '2026-03-01T10:00:02.000Z')]);
        const now = T0 + 10_000;
        const first = await store.claimDueTimers(now, 2, 5_000);
        expect(first.map((t) => [t.saga, t.sagaId, t.deadlineId])).to.deep.equal([
          ['fulfilment', 'saga-a', 'sooner'],
          ['refund', 'saga-b', 'middle'],
        ]);
        expect((await store.claimDueTimers(now, 10, 5_000)).map((t) => t.deadlineId)).to.deep.equal(['later']);
        expect(await store.claimDueTimers(now + 4_999, 10, 5_000)).to.deep.equal([]);
        // nobody removed them: whoever claimed them died, so they are claimed again
        expect((await store.claimDueTimers(now + 10_000, 10, 5_000)).map((t) => t.deadlineId)).to.have.members([
          'sooner',
          'middle',
          'later',
        ]);
      });

      it('removes a fired timer, but not one set again with another due time', async () => {
        await store.replaceTimers('fulfilment', 'saga-a', 0, [deadline('payment-timeout', '2026-03-01T10:00:01.000Z')]);
        const [fired] = await store.claimDueTimers(T0 + 2_000, 10, 5_000);
        if (fired === undefined) throw new Error('nothing was due');
        await store.replaceTimers('fulfilment', 'saga-a', 1, [deadline('payment-timeout', '2026-03-01T10:00:09.000Z')]);
        await store.removeTimer(fired.sagaId, fired.deadlineId, fired.dueMs);
        expect((await store.timersOf('saga-a')).map((t) => t.dueAt)).to.deep.equal(['2026-03-01T10:00:09.000Z']);
        // the one set again is a new timer: not under the old claim
        expect((await store.claimDueTimers(T0 + 10_000, 10, 5_000)).map((t) => t.dueAt)).to.deep.equal([
          '2026-03-01T10:00:09.000Z',
        ]);
        await store.removeTimer('saga-a', 'payment-timeout', T0 + 9_000);
        expect(await store.timerCount()).to.equal(0);
      });
    });

    describe('the dispatch log', () => {
      it('keeps a row per step until it is finished', async () => {
        const a = await store.announceStep('fulfilment', 'saga-a', 0, 1);
        const b = await store.announceStep('fulfilment', 'saga-a', 2, 2);
        const c = await store.announceStep('refund', 'saga-r', 0, 0);
        expect(new Set([a, b, c]).size).to.equal(3);
        expect(await store.pendingSteps()).to.equal(3);
        await store.finishStep(b);
        await store.finishStep(b);
        expect(await store.pendingSteps()).to.equal(2);
        const stale = await store.claimStaleSteps(Date.now() + 1, 10, Date.now() + 1);
        expect(stale.map((s) => [s.id, s.saga, s.sagaId, s.first, s.last])).to.have.deep.members([
          [a, 'fulfilment', 'saga-a', 0, 1],
          [c, 'refund', 'saga-r', 0, 0],
        ]);
      });

      it('hands a stale step to one sweep, and to the next only once it is stale again', async () => {
        const id = await store.announceStep('fulfilment', 'saga-a', 3, 4);
        const announced = Date.now();
        expect(await store.claimStaleSteps(announced - 1_000, 10, announced)).to.deep.equal([]);
        const later = announced + 20_000;
        const taken = await store.claimStaleSteps(later - 15_000, 10, later);
        expect(taken.map((s) => s.id)).to.deep.equal([id]);
        // claimed at `later`: another sweep at the same time leaves it, one after it is stale again takes it
        expect(await store.claimStaleSteps(later - 15_000, 10, later)).to.deep.equal([]);
        expect((await store.claimStaleSteps(later + 1, 10, later + 16_000)).map((s) => s.id)).to.deep.equal([id]);
        await store.finishStep(id);
        expect(await store.claimStaleSteps(Number.MAX_SAFE_INTEGER, 10, later + 20_000)).to.deep.equal([]);
      });

      it('leaves a step its runner keeps touching, however old, and takes it once the touching stops', async () => {
        // taken before the announcements: they are at or after it, so the first sweep that may take `left` is at 20 s
        const start = Date.now();
        const kept = await store.announceStep('fulfilment', 'saga-slow', 0, 0);
        const left = await store.announceStep('fulfilment', 'saga-left', 0, 0);
        // a slow dispatch: its runner touches it every few seconds for a minute
        for (let at = start + 5_000; at <= start + 60_000; at += 5_000) {
          await store.touchSteps([kept], at);
          const taken = await store.claimStaleSteps(at - 15_000, 10, at);
          expect(taken.map((s) => s.id)).to.not.include(kept);
          if (at === start + 20_000) {
            expect(taken.map((s) => s.id)).to.deep.equal([left]);
            await store.finishStep(left);
          }
        }
        await store.touchSteps([], start + 60_000);
        const later = start + 80_000;
        expect((await store.claimStaleSteps(later - 15_000, 10, later)).map((s) => s.id)).to.deep.equal([kept]);
      });

      it('claims at most `limit` stale steps, oldest first', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(await store.announceStep('fulfilment', `saga-${i}`, 0, 0));
        const now = Date.now() + 1;
        const first = await store.claimStaleSteps(now, 3, now);
        const second = await store.claimStaleSteps(now, 3, now);
        expect(first).to.have.length(3);
        expect([...first, ...second].map((s) => s.id)).to.have.members(ids);
      });
    });

    it('is initialized only once marked', async () => {
      expect(await store.isInitialized()).to.equal(false);
      await store.markInitialized();
      await store.markInitialized();
      expect(await store.isInitialized()).to.equal(true);
    });
  });
};
