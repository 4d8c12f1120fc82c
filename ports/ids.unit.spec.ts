import { expect } from 'chai';
import { v5 } from 'uuid';
import { deterministicId } from './ids';

const uuidV5 = (name: string): string => v5(name, '6f1d3c5e-0b7a-4c58-9f4e-2f1d2a7c9b10');

describe('deterministic ids', () => {
  it('are exactly the uuid package’s v5 ids under the namespace', () => {
    const names = [
      '',
      'cmd-1/order-42/0',
      'saga-fulfilment-o-1/event:6f1d3c5e-0b7a-4c58-9f4e-2f1d2a7c9b10/3',
      'ünïcödé/€/𝄞',
      'x'.repeat(1_000),
      ...Array.from({ length: 200 }, (_, i) => `k${i * 7919}/${String.fromCharCode(32 + (i % 200))}/${i}`),
    ];
    for (const name of names) expect(deterministicId(name), name).to.equal(uuidV5(name));
  });

  it('rejects a name that is not valid UTF-16 as the uuid package does', () => {
    expect(() => deterministicId('a\uD800b')).to.throw();
  });
});
