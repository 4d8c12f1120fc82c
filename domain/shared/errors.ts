/**
 * Typed domain errors. `code` is stable (it becomes the problem `type` URI in the API); `category` tells the
 * API layer which HTTP status class fits without the domain knowing about HTTP.
 */
export type ErrorCategory =
  /** the aggregate does not exist (404) */
  | 'not_found'
  /** the command contradicts the current state, e.g. already cancelled (409) */
  | 'conflict'
  /** the command breaks a business rule, e.g. refund above the paid amount (422) */
  | 'rule_violation';

export interface DomainError {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export const domainError = <Code extends string>(
  code: Code,
  category: ErrorCategory,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): DomainError & { readonly code: Code } =>
  details === undefined ? { code, category, message } : { code, category, message, details };
