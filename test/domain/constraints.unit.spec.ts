import { expect } from 'chai';
import { Name, NonNegativeInt, Reason, Sku, Timestamp, notBlank } from '../../domain/shared';
import { StockDelta } from '../../domain/inventory';
import { PaymentToken } from '../../domain/order';
import { toJsonSchema } from '../../http/json-schema';

describe('branded values and the JSON Schema derived from them', () => {
  describe('when text must not be blank', () => {
    it('treats exactly what String.prototype.trim removes as blank', () => {
      for (let code = 0; code <= 0xffff; code++) {
        const c = String.fromCharCode(code);
        expect(notBlank.test(c), `U+${code.toString(16)}`).to.equal(c.trim().length > 0);
      }
    });

    it('publishes the same rule the codec checks, so "   " is refused by both', () => {
      for (const codec of [Name, Reason, PaymentToken]) {
        const schema = toJsonSchema(codec);
        expect(schema.pattern, codec.name).to.equal(notBlank.source);
        expect(codec.is('   '), codec.name).to.equal(false);
        expect(codec.is(' a '), codec.name).to.equal(true);
      }
    });
  });

  describe('when a length is bounded', () => {
    it('counts code points, as JSON Schema does, not UTF-16 units', () => {
      expect(toJsonSchema(Name)).to.include({ minLength: 1, maxLength: 200 });
      expect(Name.is('😀'.repeat(200))).to.equal(true);
      expect(Name.is('😀'.repeat(201))).to.equal(false);
    });
  });

  describe('when a number is bounded', () => {
    it('publishes the safe-integer range the codec accepts', () => {
      expect(toJsonSchema(NonNegativeInt)).to.deep.equal({ type: 'integer', minimum: 0, maximum: 2 ** 53 - 1 });
      expect(NonNegativeInt.is(2 ** 53 - 1)).to.equal(true);
      expect(NonNegativeInt.is(2 ** 53)).to.equal(false);
    });

    it('publishes a value refused inside the range (a zero stock change)', () => {
      expect(toJsonSchema(StockDelta)).to.deep.include({ type: 'integer', not: { const: 0 } });
      expect(StockDelta.is(0)).to.equal(false);
      expect(StockDelta.is(-3)).to.equal(true);
    });
  });

  describe('when a string has a pattern', () => {
    it('publishes the pattern the codec tests', () => {
      const pattern = new RegExp(String(toJsonSchema(Sku).pattern));
      for (const value of ['MUG-1', 'a.b_c', '-x', 'MUGé', ''])
        expect(pattern.test(value), value).to.equal(Sku.is(value));
    });
  });

  describe('when a timestamp is decoded', () => {
    it('refuses days that do not exist and hours past 23, which Date.parse would roll over', () => {
      expect(Timestamp.is('2026-02-28T23:59:59.999Z')).to.equal(true);
      expect(Timestamp.is('2028-02-29T00:00:00Z')).to.equal(true);
      for (const bad of [
        '2026-02-29T00:00:00Z',
        '2026-04-31T10:00:00Z',
        '2026-01-01T24:00:00Z',
        '2026-01-01T10:00:00+01:00',
      ])
        expect(Timestamp.is(bad), bad).to.equal(false);
      expect(toJsonSchema(Timestamp)).to.include({ type: 'string', format: 'date-time' });
    });

    it('takes exactly the days the calendar has, leap years included, in every month from year 0 to 2500', () => {
      const differ: string[] = [];
      for (let year = 0; year <= 2500; year++)
        for (let month = 1; month <= 12; month++)
          for (let day = 1; day <= 31; day++) {
            const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T12:00:00Z`;
            // the calendar as Date knows it: a day that does not exist rolls over into the next month
            const ms = Date.parse(text);
            const exists = !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text.slice(0, 10);
            if (Timestamp.is(text) !== exists) differ.push(text);
          }
      expect(differ).to.deep.equal([]);
    });
  });
});
