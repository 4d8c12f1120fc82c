import { expect } from 'chai';
import * as t from 'io-ts';
import * as E from 'fp-ts/Either';
import { fieldErrors, previewValue } from '../../domain/shared';

const nestedArray = (depth: number): unknown => {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
};

describe('field errors', () => {
  const Thing = t.type({ name: t.string, count: t.number }, 'Thing');
  const errorsOf = (value: unknown) => {
    const decoded = Thing.decode(value);
    if (E.isRight(decoded)) throw new Error('expected a failure');
    return fieldErrors(decoded.left);
  };

  it('describe a value nested deeper than the stack allows without throwing', () => {
    const [error] = errorsOf(nestedArray(200_000));
    expect(error?.message).to.equal('expected Thing, got a deeply nested array');
  });

  it('quote a long value only in part, saying how long it was', () => {
    const [error] = errorsOf({ name: 'mug', count: 'x'.repeat(10_000) });
    expect(error?.field).to.equal('count');
    expect(error?.message.length).to.be.below(150);
    expect(error?.message).to.include('(10002 characters)');
  });

  it('quote a short value whole', () => {
    expect(previewValue({ currency: 'euro' })).to.equal('{"currency":"euro"}');
    expect(previewValue(undefined)).to.equal('undefined');
  });
});
