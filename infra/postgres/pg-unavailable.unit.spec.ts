import { expect } from 'chai';
import { StoreUnavailableError } from '../../ports/event-store';
import { isPgUnavailable, unavailableOr } from './pg-unavailable';

const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

describe('PostgreSQL unreachable → StoreUnavailableError', () => {
  it('tells a server that cannot be reached from one that refused the statement', () => {
    for (const gone of [
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is starting up', '57P03'),
      withCode('connection failure', '08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ])
      expect(isPgUnavailable(gone), gone.message).to.equal(true);
    for (const refused of [
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('canceling statement due to statement timeout', '57014'),
      new Error('boom'),
      'ECONNREFUSED',
    ])
      expect(isPgUnavailable(refused), String(refused)).to.equal(false);
    const wrapped = unavailableOr(withCode('connect ECONNREFUSED', 'ECONNREFUSED'));
    expect(wrapped).to.be.instanceOf(StoreUnavailableError);
    expect(unavailableOr(wrapped)).to.equal(wrapped);
    expect(unavailableOr(withCode('dup', '23505'))).not.to.be.instanceOf(StoreUnavailableError);
  });
});
