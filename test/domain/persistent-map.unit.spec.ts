import { expect } from 'chai';
import * as fc from 'fast-check';
import { PersistentMap } from '../../domain/shared';

type Op = { readonly from: number; readonly key: number; readonly value: number | null };

describe('a persistent map', () => {
  it('keeps every version answering what it held, whichever versions are read or changed in any order', () => {
    const op = fc.record({ from: fc.nat(), key: fc.integer({ min: 0, max: 7 }), value: fc.option(fc.nat(99)) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 20 }), (ops: Op[], reads) => {
        const versions: PersistentMap<number, number>[] = [PersistentMap.empty()];
        const models: Map<number, number>[] = [new Map<number, number>()];
        for (const { from, key, value } of ops) {
          const at = from % versions.length;
          const base = versions[at] as PersistentMap<number, number>;
          const model = new Map(models[at]);
          if (value === null) model.delete(key);
          else model.set(key, value);
          versions.push(value === null ? base.delete(key) : base.set(key, value));
          models.push(model);
        }
        for (const read of [...reads, ...versions.keys()]) {
          const at = read % versions.length;
          const version = versions[at] as PersistentMap<number, number>;
          const model = models[at] as Map<number, number>;
          expect(version.size).to.equal(model.size);
          for (let key = 0; key < 8; key++) {
            expect(version.has(key)).to.equal(model.has(key));
            expect(version.get(key)).to.equal(model.get(key));
          }
          expect([...version].sort(([a], [b]) => a - b)).to.deep.equal([...model].sort(([a], [b]) => a - b));
        }
      }),
    );
  });

  it('copies a plain map once and leaves it alone', () => {
    const plain = new Map([['a', 1]]);
    const next = PersistentMap.from(plain).set('b', 2);
    expect([...plain]).to.deep.equal([['a', 1]]);
    expect([...next.keys()]).to.deep.equal(['a', 'b']);
    expect(PersistentMap.from(next)).to.equal(next);
  });

  it('answers the same version for a delete of a missing key', () => {
    const map = PersistentMap.empty<string, number>().set('a', 1);
    expect(map.delete('b')).to.equal(map);
  });
});
