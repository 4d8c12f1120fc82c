import * as t from 'io-ts';
import { eventRegistry, PromotionId, Timestamp } from '../shared';
import { PromotionDefinition } from './promotion';

/** The whole definition, also on a replacement, so read models need no earlier event. */
export const PromotionDefined = t.readonly(
  t.strict({
    type: t.literal('PromotionDefined'),
    promotionId: PromotionId,
    definition: PromotionDefinition,
    at: Timestamp,
  }),
  'PromotionDefined',
);
export type PromotionDefined = t.TypeOf<typeof PromotionDefined>;

/** The promotion's validUntil is now `at`. */
export const PromotionEnded = t.readonly(
  t.strict({ type: t.literal('PromotionEnded'), promotionId: PromotionId, at: Timestamp }),
  'PromotionEnded',
);
export type PromotionEnded = t.TypeOf<typeof PromotionEnded>;

export const PromotionEvent = t.union([PromotionDefined, PromotionEnded], 'PromotionEvent');
export type PromotionEvent = t.TypeOf<typeof PromotionEvent>;

export const promotionEvents = eventRegistry<PromotionEvent>(
  {
    PromotionDefined: { version: 1, codec: PromotionDefined },
    PromotionEnded: { version: 1, codec: PromotionEnded },
  },
  [],
);
