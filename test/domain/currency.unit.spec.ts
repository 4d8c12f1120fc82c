import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { Currency, isoCurrencyCodes, Money } from '../../domain/shared';

describe('a currency', () => {
  it('accepts active ISO 4217 codes', () => {
    for (const code of ['EUR', 'USD', 'JPY', 'KWD', 'CHF', 'XOF', 'XCG', 'ZWG'])
      expect(Currency.is(code), code).to.equal(true);
  });

  it('refuses three letters that are no currency, "no currency" and the testing code', () => {
    for (const code of ['AAA', 'XXX', 'XTS', 'ABC', 'ZZZ']) expect(Currency.is(code), code).to.equal(false);
  });

  it('refuses precious metals, funds codes and withdrawn codes', () => {
    for (const code of ['XAU', 'XDR', 'USN', 'CLF', 'HRK', 'SLL', 'ANG'])
      expect(Currency.is(code), code).to.equal(false);
  });

  it('refuses anything but an upper-case code', () => {
    for (const code of ['eur', 'EURO', 'EU', '', 978]) expect(Currency.is(code), String(code)).to.equal(false);
  });

  it('makes money in XXX undecodable', () => {
    const decoded = Money.decode({ amount: 100, currency: 'XXX' });
    expect(E.isLeft(decoded)).to.equal(true);
  });

  it('lists each code once, sorted, three upper-case letters each', () => {
    expect(isoCurrencyCodes).to.deep.equal([...new Set(isoCurrencyCodes)].sort());
    for (const code of isoCurrencyCodes) expect(code).to.match(/^[A-Z]{3}$/);
    expect(isoCurrencyCodes.length).to.be.within(150, 170);
  });
});
