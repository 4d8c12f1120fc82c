import { expect } from 'chai';
import { DeadLetterError, discardDeadLetter, retryDeadLetter, sagaRetryers } from '../../commands/sagas/dead-letters';
import { SAGA_CONSUMER, SAGA_DISPATCH_CONSUMER } from '../../commands/sagas/runner';
import { SagaWorld } from './saga-world';

describe('dead letters of the saga runner', () => {
  let world: SagaWorld;
  beforeEach(async () => {
    world = await SagaWorld.start();
    await world.stock('MUG-1', 10);
  });
  afterEach(async () => {
    await world.close();
  });

  describe('when a saga cannot handle an input', () => {
    beforeEach(async () => {
      world.failing.add('saga-fulfilment-o-bad');
      await world.place('o-bad', 'MUG-1');
      await world.place('o-good', 'MUG-1');
      await world.running.idle(10_000);
    });

    it('dead-letters the input after bounded retries and carries on with the other orders', async () => {
      expect(await world.types('order-o-good')).to.include('OrderConfirmed');
      const letters = await world.deadLetters.list();
      expect(letters).to.have.length(1);
      expect(letters[0]).to.deep.include({ consumer: SAGA_CONSUMER, key: 'saga-fulfilment-o-bad', attempts: 3 });
      expect(letters[0]?.event).to.deep.include({ streamId: 'order-o-bad', revision: 0, type: 'OrderPlaced.v1' });
      expect(letters[0]?.error).to.match(/cannot read saga-fulfilment-o-bad/);
      expect(await world.types('saga-fulfilment-o-bad')).to.deep.equal([]);
    });

    it('reports the dead letters as a gauge in the metrics', async () => {
      const metrics = await world.metrics.registry.metrics();
      expect(metrics).to.match(/^dead_letters\{consumer="saga-runner"\} 1$/m);
    });

    it('parks the saga’s later inputs behind the letter, and a retry replays them all in order', async () => {
      await world.cancel('o-bad');
      await world.running.idle(10_000);
      const parked = await world.deadLetters.list({ key: 'saga-fulfilment-o-bad' });
      expect(parked.map((l) => l.event.type)).to.deep.equal(['OrderPlaced.v1', 'OrderCancelled.v1']);
      expect(parked[1]?.error).to.match(/parked behind an earlier dead letter/);

      world.failing.clear();
      const first = parked[0]?.id ?? -1;
      const outcome = await retryDeadLetter(world.deadLetters, first, sagaRetryers(world.running.runner));
      // the reservation the retried start caused came in meanwhile, parked behind: it is replayed too
      expect(outcome.failed).to.equal(undefined);
      expect(outcome.retried.slice(0, 2)).to.deep.equal(parked.map((l) => l.id));
      await world.running.idle(10_000);
      expect(await world.deadLetters.list()).to.deep.equal([]);
      // started, then the customer's cancellation: the reservation that landed late is released
      const saga = await world.types('saga-fulfilment-o-bad');
      expect(saga.slice(0, 2)).to.deep.equal(['FulfilmentStarted', 'CompensationStarted']);
      expect(await world.types('sku-MUG-1')).to.include('ReservationReleased');
    });

    it('refuses to retry a letter that waits behind an older one of the same saga', async () => {
      await world.cancel('o-bad');
      await world.running.idle(10_000);
      const [, second] = await world.deadLetters.list({ key: 'saga-fulfilment-o-bad' });
      let refused: unknown;
      await retryDeadLetter(world.deadLetters, second?.id ?? -1, sagaRetryers(world.running.runner)).catch(
        (error: unknown) => (refused = error),
      );
      expect(refused).to.be.instanceOf(DeadLetterError);
      expect(String(refused)).to.match(/retry \d+ first/);
    });

    it('keeps a letter that fails again, with one more attempt and the new error', async () => {
      const [letter] = await world.deadLetters.list();
      const outcome = await retryDeadLetter(world.deadLetters, letter?.id ?? -1, sagaRetryers(world.running.runner));
      expect(outcome.retried).to.deep.equal([]);
      expect(outcome.failed?.error).to.match(/cannot read saga-fulfilment-o-bad/);
      expect((await world.deadLetters.get(letter?.id ?? -1))?.attempts).to.equal(4);
    });

    it('drops a discarded letter for good', async () => {
      const [letter] = await world.deadLetters.list();
      expect((await discardDeadLetter(world.deadLetters, letter?.id ?? -1)).key).to.equal('saga-fulfilment-o-bad');
      expect(await world.deadLetters.list()).to.deep.equal([]);
      await discardDeadLetter(world.deadLetters, letter?.id ?? -1).then(
        () => expect.fail('discarded twice'),
        (error: unknown) => expect(error).to.be.instanceOf(DeadLetterError),
      );
    });
  });

  describe('when a saga command can never be sent', () => {
    it('dead-letters the saga event whose outbox failed, and the saga goes on', async () => {
      // the saga's deterministic reserve id already names a command on another stream: the store refuses it
      await world.place('o-other', 'MUG-1', 1, 'saga-fulfilment-o-x:reserve:MUG-1');
      await world.running.idle(10_000);
      await world.place('o-x', 'MUG-1');
      await world.running.idle(10_000);
      const letters = await world.deadLetters.list({ consumer: SAGA_DISPATCH_CONSUMER });
      expect(letters).to.have.length(1);
      expect(letters[0]).to.deep.include({ key: 'saga-fulfilment-o-x' });
      expect(letters[0]?.event).to.deep.include({ type: 'FulfilmentStarted.v1', revision: 0 });
      expect(letters[0]?.error).to.match(/saga-fulfilment-o-x:reserve:MUG-1: .*already used/);
      // the dispatch log does not hold the saga back: nothing is left to re-send
      expect(await world.running.state.pendingSteps()).to.equal(0);
      const outcome = await retryDeadLetter(
        world.deadLetters,
        letters[0]?.id ?? -1,
        sagaRetryers(world.running.runner),
      );
      expect(outcome.failed?.error).to.match(/already used/);
    });
  });

  describe('after a restart', () => {
    it('still parks the inputs of a saga with a letter', async () => {
      world.failing.add('saga-fulfilment-o-bad');
      await world.place('o-bad', 'MUG-1');
      await world.running.idle(10_000);
      await world.stopSagas();
      world.failing.clear();
      await world.startSagas();
      await world.cancel('o-bad');
      await world.running.idle(10_000);
      expect((await world.deadLetters.list()).map((l) => l.event.type)).to.deep.equal([
        'OrderPlaced.v1',
        'OrderCancelled.v1',
      ]);
      expect(await world.types('saga-fulfilment-o-bad')).to.deep.equal([]);
    });
  });
});
