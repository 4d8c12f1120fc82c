import type { FieldFilter } from '../ports/read-store';

export type PromotionStatus = 'active' | 'scheduled' | 'ended';

/** The stored fields the status follows from (the promotions read model's, in fixed-width ISO form). */
export interface PromotionWindow {
  readonly validFrom: string | null;
  readonly activeUntil: string | null;
}

/**
 * A promotion's status at `now` (fixed-width ISO): active from validFrom until its end (validUntil, or the moment it
 * was ended), scheduled before, ended from then on; null while its definition is not projected yet (only orders
 * naming it were). The same rule as the pricing centre's: valid when validFrom ≤ now < validUntil.
 */
export const promotionStatus = (doc: PromotionWindow, now: string): PromotionStatus | null => {
  if (doc.validFrom === null || doc.activeUntil === null) return null;
  if (doc.activeUntil <= now) return 'ended';
  return doc.validFrom <= now ? 'active' : 'scheduled';
};

/** The same rule as ranges on the two indexed fields, for the list's filter (a filter excludes missing values). */
export const promotionStatusFilter = (status: PromotionStatus, now: string): Readonly<Record<string, FieldFilter>> => {
  switch (status) {
    case 'active':
      return { validFrom: { lte: now }, activeUntil: { gt: now } };
    case 'scheduled':
      return { validFrom: { gt: now }, activeUntil: { gt: now } };
    case 'ended':
      return { activeUntil: { lte: now } };
    default: {
      const _exhaustive: never = status;
      return _exhaustive;
    }
  }
};
