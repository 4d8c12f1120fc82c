import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  activePromotions,
  basisPoints,
  pricingErrorCategories,
  priority,
  promotionBookDecider,
  promotionBookId,
  promotionBookStreamId,
  PromotionCommand,
  PromotionDefinition,
  promotionEvents,
  unitCount,
  type PromotionBookState,
  type PromotionEvent,
  type PromotionRule,
} from '../../../domain/pricing';
import {
  currency,
  describeErrors,
  fold,
  money,
  name,
  promotionId,
  sku,
  timestamp,
  type Timestamp,
} from '../../../domain/shared';
import { givenDecider } from '../../decider-spec';

const given = givenDecider(promotionBookDecider);

const EUR = currency('EUR');
const USD = currency('USD');
const SPRING = promotionId('spring-sale');
const TEN_OFF = promotionId('ten-off');
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
/** a timestamp `days` after the start of the scenario */
const at = (days: number): Timestamp => timestamp(new Date(T0 + days * 86_400_000).toISOString());

const percentOff: PromotionRule = { kind: 'PercentOff', basisPoints: basisPoints(1500) };

/** `validUntil: undefined` leaves the key out, as a decoded definition without an end has none */
const definition = (overrides: Partial<PromotionDefinition> = {}): PromotionDefinition => {
  const merged: PromotionDefinition = {
    name: name('Spring sale'),
    currency: EUR,
    validFrom: at(0),
    validUntil: at(30),
    priority: priority(10),
    exclusive: false,
    requiresCoupon: false,
    rule: percentOff,
    ...overrides,
  };
  const { validUntil, ...rest } = merged;
  return 'validUntil' in overrides && overrides.validUntil === undefined ? rest : { ...rest, validUntil };
};

const define = (overrides: Partial<PromotionDefinition> = {}, id = SPRING, day = 0): PromotionCommand => ({
  type: 'DefinePromotion',
  promotionId: id,
  definition: definition(overrides),
  at: at(day),
});
const defined = (overrides: Partial<PromotionDefinition> = {}, id = SPRING, day = 0): PromotionEvent => ({
  type: 'PromotionDefined',
  promotionId: id,
  definition: definition(overrides),
  at: at(day),
});
const end = (day: number, id = SPRING): PromotionCommand => ({ type: 'EndPromotion', promotionId: id, at: at(day) });
const ended = (day: number, id = SPRING): PromotionEvent => ({ type: 'PromotionEnded', promotionId: id, at: at(day) });

const book = (...events: PromotionEvent[]): PromotionBookState => fold(promotionBookDecider, events);

describe('the promotion book (one stream holds every promotion)', () => {
  it('lives in the stream promotions-default', () => {
    expect(promotionBookId).to.equal('default');
    expect(promotionBookStreamId()).to.equal('promotions-default');
  });

  describe('defining a promotion', () => {
    it('records the whole definition', () => {
      given().when(define()).then(defined());
    });

    it('keeps it in the book with the time it was defined', () => {
      given()
        .when(define({}, SPRING, 2))
        .thenState((state) => {
          expect(state.promotions.get(SPRING)).to.deep.equal({
            promotionId: SPRING,
            definition: definition(),
            definedAt: at(2),
          });
        });
    });

    it('records nothing for an identical repeat', () => {
      given(defined())
        .when(define({}, SPRING, 5))
        .then();
    });

    it('records nothing for an identical repeat built with its keys in another order', () => {
      const { rule, name: title, ...rest } = definition();
      given(defined())
        .when({ type: 'DefinePromotion', promotionId: SPRING, definition: { rule, ...rest, name: title }, at: at(1) })
        .then();
    });

    it('replaces a definition that changed', () => {
      given(defined())
        .when(define({ priority: priority(5) }, SPRING, 3))
        .then(defined({ priority: priority(5) }, SPRING, 3));
    });

    it('accepts a promotion without an end', () => {
      given()
        .when(define({ validUntil: undefined }))
        .then(defined({ validUntil: undefined }));
    });

    it('refuses a window that ends before it starts, naming validUntil', () => {
      const error = given()
        .when(define({ validFrom: at(5), validUntil: at(4) }))
        .thenFails('PromotionWindowEmpty');
      expect(error.category).to.equal('rule_violation');
      expect(error.details).to.include({ field: 'definition.validUntil' });
    });

    it('refuses an empty window (validUntil equal to validFrom)', () => {
      given()
        .when(define({ validFrom: at(5), validUntil: at(5) }))
        .thenFails('PromotionWindowEmpty');
    });

    const offCurrency: [string, PromotionRule, string][] = [
      [
        'an order discount',
        { kind: 'AmountOffOrder', amount: money(1000, USD), threshold: money(5000, EUR) },
        'definition.rule.amount',
      ],
      [
        'an order threshold',
        { kind: 'AmountOffOrder', amount: money(1000, EUR), threshold: money(5000, USD) },
        'definition.rule.threshold',
      ],
      [
        'a bundle price',
        { kind: 'BundlePrice', skus: [sku('A'), sku('B')], price: money(1000, USD) },
        'definition.rule.price',
      ],
    ];
    for (const [what, rule, field] of offCurrency) {
      it(`refuses ${what} in another currency than the promotion's, naming ${field}`, () => {
        const error = given().when(define({ rule })).thenFails('PromotionCurrencyMismatch');
        expect(error.category).to.equal('rule_violation');
        expect(error.details).to.include({ field, expected: 'EUR', got: 'USD' });
      });
    }

    it('refuses a bundle that lists a SKU twice, naming rule.skus', () => {
      const rule: PromotionRule = { kind: 'BundlePrice', skus: [sku('A'), sku('B'), sku('A')], price: money(1, EUR) };
      const error = given().when(define({ rule })).thenFails('DuplicatePromotionSku');
      expect(error.category).to.equal('rule_violation');
      expect(error.details).to.deep.include({ field: 'definition.rule.skus', skus: ['A'] });
    });

    it('refuses a percentage off that lists a SKU twice', () => {
      const rule: PromotionRule = { kind: 'PercentOff', basisPoints: basisPoints(100), skus: [sku('A'), sku('A')] };
      given().when(define({ rule })).thenFails('DuplicatePromotionSku');
    });

    it('accepts every kind of rule in its own currency', () => {
      const rules: PromotionRule[] = [
        { kind: 'PercentOff', basisPoints: basisPoints(10_000), skus: [sku('A')] },
        { kind: 'AmountOffOrder', amount: money(1000, EUR), threshold: money(5000, EUR) },
        { kind: 'BuyNGetMFree', sku: sku('A'), buy: unitCount(2), free: unitCount(1) },
        { kind: 'BundlePrice', skus: [sku('A'), sku('B')], price: money(1000, EUR) },
      ];
      for (const rule of rules) given().when(define({ rule })).then(defined({ rule }));
    });
  });

  describe('ending a promotion', () => {
    it('moves its end to the time given', () => {
      given(defined()).when(end(10)).then(ended(10));
    });

    it('ends a promotion that had no end', () => {
      given(defined({ validUntil: undefined }))
        .when(end(10))
        .then(ended(10));
    });

    it('keeps the definition, with validUntil at the end, and remembers when it ended', () => {
      given(defined())
        .when(end(10))
        .thenState((state) => {
          const promotion = state.promotions.get(SPRING);
          expect(promotion?.definition).to.deep.equal(definition({ validUntil: at(10) }));
          expect(promotion?.endedAt).to.equal(at(10));
        });
    });

    it('records nothing for a promotion already ended', () => {
      given(defined(), ended(10)).when(end(12)).then();
    });

    it('records nothing for a promotion whose window closed by itself', () => {
      given(defined()).when(end(30)).then();
      given(defined()).when(end(31)).then();
    });

    it('moves an end still to come earlier', () => {
      given(defined(), ended(20)).when(end(15)).then(ended(15));
    });

    it('refuses an unknown promotion', () => {
      const error = given(defined()).when(end(3, TEN_OFF)).thenFails('PromotionNotFound');
      expect(error.category).to.equal('not_found');
    });

    it('is undone by a redefinition, which opens the promotion again', () => {
      const state = book(defined(), ended(10), defined({ validUntil: at(40) }, SPRING, 11));
      expect(state.promotions.get(SPRING)?.endedAt).to.equal(undefined);
      expect(activePromotions(state, at(20), EUR).map((p) => p.promotionId)).to.deep.equal([SPRING]);
    });
  });

  describe('listing the promotions active at a moment', () => {
    const A = promotionId('a-promo');
    const B = promotionId('b-promo');
    const C = promotionId('c-promo');
    const state = book(
      defined({ priority: priority(20) }, C),
      defined({ priority: priority(10) }, B),
      defined({ priority: priority(20) }, A),
      defined({ currency: USD, rule: percentOff }, TEN_OFF),
    );

    it('sorts them by priority (lowest first), then by id', () => {
      expect(activePromotions(state, at(1), EUR).map((p) => p.promotionId)).to.deep.equal([B, A, C]);
    });

    it('lists only those in the currency asked for', () => {
      expect(activePromotions(state, at(1), USD).map((p) => p.promotionId)).to.deep.equal([TEN_OFF]);
    });

    it('includes a promotion from its first instant and excludes it from its end', () => {
      const one = book(defined({ validFrom: at(1), validUntil: at(2) }));
      const ids = (day: number) => activePromotions(one, at(day), EUR).map((p) => p.promotionId);
      expect([ids(0.5), ids(1), ids(1.5), ids(2)]).to.deep.equal([[], [SPRING], [SPRING], []]);
    });

    it('keeps an open-ended promotion active', () => {
      const one = book(defined({ validUntil: undefined }));
      expect(activePromotions(one, at(10_000), EUR)).to.have.length(1);
    });

    it('drops an ended promotion from the moment it ended', () => {
      const one = book(defined(), ended(5));
      expect(activePromotions(one, at(4), EUR)).to.have.length(1);
      expect(activePromotions(one, at(5), EUR)).to.have.length(0);
    });

    it('lists nothing for an empty book', () => {
      expect(activePromotions(promotionBookDecider.initialState, at(1), EUR)).to.deep.equal([]);
    });
  });

  describe('its codecs', () => {
    it('defines every event at version 1', () => {
      expect(promotionEvents.storedTypes).to.have.members(['PromotionDefined.v1', 'PromotionEnded.v1']);
    });

    it('reads back stored events unchanged', () => {
      for (const event of [
        defined(),
        defined({
          validUntil: undefined,
          rule: { kind: 'BuyNGetMFree', sku: sku('A'), buy: unitCount(2), free: unitCount(1) },
        }),
        ended(3),
      ]) {
        const stored = JSON.parse(JSON.stringify(promotionEvents.encode(event))) as { type: string; data: unknown };
        expect(promotionEvents.decode(stored)).to.deep.equal(E.right(event));
      }
    });

    const decodeError = (command: unknown): string => {
      const result = PromotionCommand.decode(command);
      return E.isLeft(result) ? describeErrors(result.left) : '';
    };

    it('names a percentage out of range', () => {
      const bad = { ...define(), definition: { ...definition(), rule: { kind: 'PercentOff', basisPoints: 10_001 } } };
      expect(decodeError(bad)).to.match(/definition\.rule\.basisPoints/);
    });

    it('names a bundle with fewer than two SKUs', () => {
      const rule = { kind: 'BundlePrice', skus: ['A'], price: { amount: 100, currency: 'EUR' } };
      expect(decodeError({ ...define(), definition: { ...definition(), rule } })).to.match(
        /definition\.rule\.skus: expected 2 to 10 entries, got 1/,
      );
    });

    it('names a buy-N-get-M-free group out of range', () => {
      const rule = { kind: 'BuyNGetMFree', sku: 'A', buy: 0, free: 1 };
      expect(decodeError({ ...define(), definition: { ...definition(), rule } })).to.match(/definition\.rule\.buy/);
    });

    it('names a negative or too large priority', () => {
      expect(decodeError(define({ priority: -1 as never }))).to.match(/definition\.priority/);
      expect(decodeError(define({ priority: 1_000_001 as never }))).to.match(/definition\.priority/);
    });

    it('refuses an empty SKU list on a percentage off (absent means every line)', () => {
      const rule = { kind: 'PercentOff', basisPoints: 100, skus: [] };
      expect(decodeError({ ...define(), definition: { ...definition(), rule } })).to.match(/definition\.rule\.skus/);
    });

    it('decodes an EndPromotion', () => {
      expect(PromotionCommand.decode({ type: 'EndPromotion', promotionId: 'p-1', at: at(1) })).to.deep.equal(
        E.right(end(1, promotionId('p-1'))),
      );
    });

    it('decodes a definition without validUntil', () => {
      const { validUntil: _, ...open } = definition();
      expect(E.isRight(PromotionDefinition.decode(JSON.parse(JSON.stringify(open))))).to.equal(true);
    });
  });

  it('files each error under its category', () => {
    expect(pricingErrorCategories.PromotionNotFound).to.equal('not_found');
    expect(pricingErrorCategories.PromotionWindowEmpty).to.equal('rule_violation');
  });
});
