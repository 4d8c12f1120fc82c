import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { inventoryCentre } from '../../domain/centres';
import { CommandHandler } from '../../commands/command-handler';
import { placeOrder, type OrderLineRequest, type PlaceOrderError } from '../../commands/place-order';
import { centreQuotes } from '../../commands/pricing';
import type { OrderEvent } from '../../domain/order';
import { currency, money, name, quantity, sku, timestamp } from '../../domain/shared';
import { ManualClock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import { openSqliteEventStore } from '../../infra/sqlite/sqlite-event-store';

const at = timestamp('2026-03-01T10:00:00.000Z');
const eur = currency('EUR');
const line = (code: string, n: number): OrderLineRequest => ({ sku: sku(code), quantity: quantity(n) });

/** Placing an order as an application service: given the catalogue, when PlaceOrder, then events or an error. */
interface CatalogueEntry {
  readonly sku: string;
  readonly amount: number;
  readonly currency?: string;
}

const placing = () => {
  let store: EventStore | undefined;
  const catalogue: CatalogueEntry[] = [];
  const open = () => {
    store ??= openSqliteEventStore({ path: ':memory:' });
    return new CommandHandler({ store, clock: new ManualClock(at) });
  };
  const self = {
    given(...entries: CatalogueEntry[]) {
      catalogue.push(...entries);
      return self;
    },
    async when(lines: readonly OrderLineRequest[]) {
      const handler = open();
      for (const entry of catalogue) {
        const defined = await handler.handle(
          inventoryCentre,
          {
            type: 'DefineSku',
            sku: sku(entry.sku),
            name: name(entry.sku),
            unitPrice: money(entry.amount, currency(entry.currency ?? 'EUR')),
            at,
          },
          { commandId: `define-${entry.sku}`, causationId: 'test', correlationId: 'test' },
        );
        expect(E.isRight(defined)).to.equal(true);
      }
      const result = await placeOrder(
        { handler, quote: centreQuotes(handler) },
        { orderId: 'o-1', customerId: 'c-1', lines, paymentToken: 'tok_approve', at },
        { commandId: 'place-1', causationId: 'place-1', correlationId: 'place-1' },
      );
      await store?.close();
      return {
        thenEvents(check: (events: readonly OrderEvent[]) => void) {
          if (E.isLeft(result)) expect.fail(`expected events, got ${JSON.stringify(result.left)}`);
          check(result.right.events);
        },
        thenError(check: (error: PlaceOrderError) => void) {
          if (E.isRight(result)) expect.fail(`expected an error, got ${JSON.stringify(result.right.events)}`);
          check(result.left);
        },
      };
    },
  };
  return self;
};

describe('placing an order (application service, no HTTP)', () => {
  it('prices every line from the catalogue and totals the order in its currency', async () => {
    (
      await placing()
        .given({ sku: 'MUG-1', amount: 1250 }, { sku: 'TEE-1', amount: 1999 })
        .when([line('MUG-1', 2), line('TEE-1', 1)])
    ).thenEvents((events) => {
      expect(events).to.have.length(1);
      const [placed] = events;
      if (placed?.type !== 'OrderPlaced') return expect.fail(`expected OrderPlaced, got ${placed?.type}`);
      expect(placed.currency).to.equal(eur);
      expect(placed.total).to.deep.equal(money(4499, eur));
      expect(placed.lines.map((l) => [l.sku, l.unitPrice.amount, l.lineTotal.amount])).to.deep.equal([
        ['MUG-1', 1250, 2500],
        ['TEE-1', 1999, 1999],
      ]);
    });
  });

  it('refuses a SKU that is not in the catalogue, naming it', async () => {
    (
      await placing()
        .given({ sku: 'MUG-1', amount: 1250 })
        .when([line('MUG-1', 1), line('NOPE', 1)])
    ).thenError((error) => {
      expect(error).to.deep.include({ code: 'UnknownSku', category: 'rule_violation', details: { sku: 'NOPE' } });
    });
  });

  it('refuses lines priced in different currencies', async () => {
    (
      await placing()
        .given({ sku: 'MUG-1', amount: 1250 }, { sku: 'HAT-1', amount: 900, currency: 'USD' })
        .when([line('MUG-1', 1), line('HAT-1', 1)])
    ).thenError((error) => {
      expect(error.code).to.equal('CurrencyMismatch');
    });
  });

  it('refuses an order without lines, naming the field', async () => {
    (await placing().when([])).thenError((error) => {
      expect(error).to.deep.equal({
        code: 'InvalidOrder',
        category: 'invalid',
        errors: [{ field: 'lines', message: 'at least one line is required' }],
      });
    });
  });

  it('refuses the same SKU on two lines', async () => {
    (
      await placing()
        .given({ sku: 'MUG-1', amount: 1250 })
        .when([line('MUG-1', 1), line('MUG-1', 2)])
    ).thenError((error) => {
      expect(error.code).to.equal('InvalidOrder');
    });
  });
});
