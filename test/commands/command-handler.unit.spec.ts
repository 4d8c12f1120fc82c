import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { inventoryCentre } from '../../domain/centres';
import type { InventoryCommand } from '../../domain/inventory';
import { currency, money, name, quantity, sku, timestamp } from '../../domain/shared';
import { CommandHandler, type CommandContext } from '../../commands/command-handler';
import { ManualClock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import { openSqliteEventStore } from '../../infra/sqlite/sqlite-event-store';

const at = timestamp('2026-03-01T10:00:00.000Z');
const define: InventoryCommand = {
  type: 'DefineSku',
  sku: sku('SKU-1'),
  name: name('Mug'),
  unitPrice: money(1200, currency('EUR')),
  at,
};
const restock = (n: number, code = 'SKU-1'): InventoryCommand => ({
  type: 'RestockSku',
  sku: sku(code),
  quantity: quantity(n),
  at,
});
const context = (commandId: string): CommandContext => ({ commandId, causationId: commandId, correlationId: 'c' });

/** The command handler's answer to repeated command ids, and how often it asks the store for them. */
describe('the command handler with a command id it has seen', () => {
  let store: EventStore;
  let lookups: number;
  let handler: CommandHandler;
  const counting = (inner: EventStore): EventStore =>
    new Proxy(inner, {
      get: (target, property): unknown =>
        property === 'findCommand'
          ? (commandId: string) => {
              lookups += 1;
              return target.findCommand(commandId);
            }
          : Reflect.get(target, property, target),
    });

  beforeEach(async () => {
    store = openSqliteEventStore({ path: ':memory:' });
    lookups = 0;
    handler = new CommandHandler({ store: counting(store), clock: new ManualClock(at) });
    expect(E.isRight(await handler.handle(inventoryCentre, define, context('define')))).to.equal(true);
  });
  afterEach(() => store.close());

  const handled = async (command: InventoryCommand, commandId: string, by = handler) => {
    const result = await by.handle(inventoryCentre, command, context(commandId));
    if (E.isLeft(result)) expect.fail(`expected success, got ${JSON.stringify(result.left)}`);
    return result.right;
  };

  it('appends a new command without looking its id up first', async () => {
    lookups = 0;
    const first = await handled(restock(5), 'restock-1');
    expect(first).to.include({ duplicate: false, revision: 1 });
    expect(lookups).to.equal(0);
  });

  it('answers a repeat that decides events again with its first answer, and appends nothing', async () => {
    const first = await handled(restock(5), 'restock-1');
    await handled(restock(2), 'restock-2');

    const repeat = await handled(restock(5), 'restock-1');

    expect(repeat).to.include({ duplicate: true, revision: first.revision, position: first.position });
    expect(repeat.events).to.have.length(0);
    expect(await store.readStream('sku-SKU-1')).to.have.length(3);
  });

  it('answers a repeat that today would be refused with its first answer', async () => {
    // defining the SKU again is refused now; the repeat of the defining command is not
    const repeat = await handled(define, 'define');
    expect(repeat).to.include({ duplicate: true, revision: 0 });
  });

  it('answers a repeat decided on a cache another process moved past with its first answer', async () => {
    const first = await handled(restock(5), 'restock-1');
    const elsewhere = new CommandHandler({ store, clock: new ManualClock(at) });
    await handled(restock(1), 'restock-elsewhere', elsewhere);

    const repeat = await handled(restock(5), 'restock-1');

    expect(repeat).to.include({ duplicate: true, revision: first.revision });
    expect(await store.readStream('sku-SKU-1')).to.have.length(3);
  });

  it('refuses a command id used before for another stream', async () => {
    await handled(restock(5), 'restock-1');
    await handler.handle(inventoryCentre, { ...define, sku: sku('SKU-2') }, context('define-2'));

    const reused = await handler.handle(inventoryCentre, restock(5, 'SKU-2'), context('restock-1'));

    expect(E.isLeft(reused) && reused.left.code).to.equal('IdempotencyKeyReused');
    expect(await store.readStream('sku-SKU-2')).to.have.length(1);
  });
});
