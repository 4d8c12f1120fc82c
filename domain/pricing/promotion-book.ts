import type * as E from 'fp-ts/Either';
import {
  absurd,
  accept,
  isAtOrAfter,
  PersistentMap,
  reject,
  type Currency,
  type Decider,
  type PromotionId,
  type Timestamp,
} from '../shared';
import type { DefinePromotion, EndPromotion, PromotionCommand } from './commands';
import {
  duplicatePromotionSku,
  promotionCurrencyMismatch,
  promotionNotFound,
  promotionWindowEmpty,
  type PricingError,
} from './errors';
import type { PromotionEvent } from './promotion-events';
import { ruleMoneyFields, ruleSkuList, type ActivePromotion, type PromotionDefinition } from './promotion';

/** Every promotion lives in one book; one book (`default`) today, so the id is not in the commands yet. */
export const promotionBookId = 'default';

export const promotionBookStreamId = (bookId: string = promotionBookId): string => `promotions-${bookId}`;

export interface Promotion extends ActivePromotion {
  readonly definedAt: Timestamp;
  /** when EndPromotion last moved its validUntil; absent until then, and again after a redefinition */
  readonly endedAt?: Timestamp;
}

/** A book is never "undefined": an empty book simply holds no promotions. */
export interface PromotionBookState {
  readonly promotions: ReadonlyMap<PromotionId, Promotion>;
}

/** The first rule across fields a definition breaks (the codec checked each field alone), or undefined. */
export const definitionProblem = (definition: PromotionDefinition): PricingError | undefined => {
  const { validFrom, validUntil, currency, rule } = definition;
  if (validUntil !== undefined && isAtOrAfter(validFrom, validUntil))
    return promotionWindowEmpty(validFrom, validUntil);
  const offCurrency = ruleMoneyFields(rule).find(([, value]) => value.currency !== currency);
  if (offCurrency) return promotionCurrencyMismatch(offCurrency[0], currency, offCurrency[1].currency);
  const listed = ruleSkuList(rule);
  if (listed) {
    const [field, skus] = listed;
    const repeated = skus.filter((sku, i) => skus.indexOf(sku) !== i);
    if (repeated.length > 0) return duplicatePromotionSku(field, [...new Set(repeated)]);
  }
  return undefined;
};

/** Structural equality of decoded JSON-like values; an `undefined` property counts as absent. */
const sameValue = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const present = (o: object): [string, unknown][] =>
    Object.entries(o).filter(([, value]) => value !== undefined) as [string, unknown][];
  const left = present(a);
  const right = new Map(present(b));
  return left.length === right.size && left.every(([key, value]) => right.has(key) && sameValue(value, right.get(key)));
};

/** valid at `at`: validFrom ≤ at < validUntil */
export const isPromotionValidAt = (definition: PromotionDefinition, at: Timestamp): boolean =>
  isAtOrAfter(at, definition.validFrom) &&
  (definition.validUntil === undefined || !isAtOrAfter(at, definition.validUntil));

const byApplicationOrder = (a: ActivePromotion, b: ActivePromotion): number =>
  a.definition.priority - b.definition.priority ||
  (a.promotionId < b.promotionId ? -1 : a.promotionId > b.promotionId ? 1 : 0);

/** The promotions valid at `at` in `currency`, in the order pricing applies them (priority ascending, then id). */
export const activePromotions = (state: PromotionBookState, at: Timestamp, currency: Currency): readonly Promotion[] =>
  [...state.promotions.values()]
    .filter(({ definition }) => definition.currency === currency && isPromotionValidAt(definition, at))
    .sort(byApplicationOrder);

type Decision = E.Either<PricingError, readonly PromotionEvent[]>;

const nothing: Decision = accept<PromotionEvent>();

const definePromotion = (command: DefinePromotion, state: PromotionBookState): Decision => {
  const { promotionId, definition, at } = command;
  const problem = definitionProblem(definition);
  if (problem) return reject(problem);
  const current = state.promotions.get(promotionId);
  // an identical definition is a redelivery or a no-op edit: nothing to record
  if (current && sameValue(current.definition, definition)) return nothing;
  return accept({ type: 'PromotionDefined', promotionId, definition, at });
};

const endPromotion = (command: EndPromotion, state: PromotionBookState): Decision => {
  const { promotionId, at } = command;
  const current = state.promotions.get(promotionId);
  if (!current) return reject(promotionNotFound(promotionId));
  const { validUntil } = current.definition;
  // already over by then (ended, or its window closed): nothing to move
  if (validUntil !== undefined && isAtOrAfter(at, validUntil)) return nothing;
  return accept({ type: 'PromotionEnded', promotionId, at });
};

const decide = (command: PromotionCommand, state: PromotionBookState): Decision => {
  switch (command.type) {
    case 'DefinePromotion':
      return definePromotion(command, state);
    case 'EndPromotion':
      return endPromotion(command, state);
    default:
      return absurd(command);
  }
};

const withPromotion = (state: PromotionBookState, promotion: Promotion): PromotionBookState => ({
  promotions: PersistentMap.from(state.promotions).set(promotion.promotionId, promotion),
});

const evolve = (state: PromotionBookState, event: PromotionEvent): PromotionBookState => {
  switch (event.type) {
    case 'PromotionDefined':
      return withPromotion(state, {
        promotionId: event.promotionId,
        definition: event.definition,
        definedAt: event.at,
      });
    case 'PromotionEnded': {
      const current = state.promotions.get(event.promotionId);
      if (!current) return state;
      return withPromotion(state, {
        ...current,
        definition: { ...current.definition, validUntil: event.at },
        endedAt: event.at,
      });
    }
    default:
      return absurd(event);
  }
};

export const promotionBookDecider: Decider<PromotionCommand, PromotionBookState, PromotionEvent, PricingError> = {
  initialState: { promotions: PersistentMap.empty() },
  evolve,
  decide,
};
