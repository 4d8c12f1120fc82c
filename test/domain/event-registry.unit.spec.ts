import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { eventRegistry } from '../../domain/shared';

type Placed = { readonly type: 'Placed'; readonly total: number };
type Shipped = { readonly type: 'Shipped' };
type Ev = Placed | Shipped;

const registry = eventRegistry<Ev>(
  {
    Placed: { version: 3, codec: t.type({ type: t.literal('Placed'), total: t.number }) },
    Shipped: { version: 1, codec: t.type({ type: t.literal('Shipped') }) },
  },
  [
    // v1 was called `Created` and held the total as text; v2 renamed it; v3 made it a number
    { from: 'Created.v1', to: 'Placed.v2', upcast: (data) => ({ ...(data as object), type: 'Placed' }) },
    {
      from: 'Placed.v2',
      to: 'Placed.v3',
      upcast: (data) => ({ ...(data as object), total: Number((data as { total: string }).total) }),
    },
  ],
);

describe('an event registry', () => {
  it('decodes an old stored type through its chain of upcasters', () => {
    expect(registry.decode({ type: 'Created.v1', data: { type: 'Created', total: '12' } })).to.deep.equal(
      E.right({ type: 'Placed', total: 12 }),
    );
  });

  it('names every stored type it reads with the domain type it decodes to, renamed ones included', () => {
    expect([...registry.readableTypes].sort()).to.deep.equal([
      ['Created.v1', 'Placed'],
      ['Placed.v2', 'Placed'],
      ['Placed.v3', 'Placed'],
      ['Shipped.v1', 'Shipped'],
    ]);
    expect(registry.storedTypes).to.deep.equal(['Placed.v3', 'Shipped.v1']);
  });
});
