import { expect } from 'chai';
import { prepared } from './pg-prepared';

describe('prepared PostgreSQL statements', () => {
  it('names a text the same way every time and two texts apart, so each is parsed once per connection', () => {
    const first = prepared('SELECT position FROM "a".events WHERE position > $1', [1]);
    const again = prepared('SELECT position FROM "a".events WHERE position > $1', [2]);
    const other = prepared('SELECT position FROM "b".events WHERE position > $1', [1]);

    expect(first.name)
      .to.be.a('string')
      .and.match(/^commerce_[0-9a-f]{24}$/);
    expect(again.name).to.equal(first.name);
    expect(other.name).to.not.equal(first.name);
    expect(again).to.deep.include({ text: 'SELECT position FROM "a".events WHERE position > $1', values: [2] });
  });

  it('copies the values and leaves them out when there are none', () => {
    const values = [1, 'x'];
    const query = prepared('SELECT $1::int, $2::text', values);
    values.push('later');

    expect(query.values).to.deep.equal([1, 'x']);
    expect(prepared('SELECT 1')).to.not.have.property('values');
  });
});
