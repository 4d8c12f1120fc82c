import * as t from 'io-ts';
import * as E from 'fp-ts/Either';
import { fieldErrors, type FieldError } from '../domain/shared';
import { unprocessable, validationProblem } from './problem';

/** What documentation needs to know about a closed codec, independent of its type parameters. */
export interface ClosedShape extends t.Decoder<unknown, unknown> {
  readonly _tag: 'ClosedType';
  readonly props: t.Props;
  readonly optional: t.Props;
}

export class ClosedType<P extends t.Props, O extends t.Props> extends t.Type<
  t.TypeOf<t.TypeC<P>> & t.TypeOf<t.PartialC<O>>,
  unknown
> {
  readonly _tag = 'ClosedType' as const;
  constructor(
    name: string,
    readonly props: P,
    readonly optional: O,
  ) {
    const base = t.intersection([t.type(props), t.partial(optional)]);
    const known = new Set([...Object.keys(props), ...Object.keys(optional)]);
    super(
      name,
      (u): u is t.TypeOf<t.TypeC<P>> & t.TypeOf<t.PartialC<O>> => base.is(u),
      (u, context) => {
        // present the intersection as this entry's type so its member indexes stay out of field paths
        const last = context[context.length - 1];
        const result = base.validate(u, last ? [...context.slice(0, -1), { ...last, type: base }] : context);
        if (typeof u !== 'object' || u === null || Array.isArray(u)) return result;
        // report unknown fields together with the missing and invalid ones, so one round trip names them all
        const unknown: t.Errors = Object.entries(u as Record<string, unknown>)
          .filter(([key]) => !known.has(key))
          .map(([key, value]) => ({
            value,
            context: [...context, { key, type: t.never, actual: value }],
            message: 'is not a known field',
          }));
        if (unknown.length === 0) return result;
        return t.failures(E.isLeft(result) ? [...unknown, ...result.left] : unknown);
      },
      base.encode,
    );
  }
}

/**
 * A closed object codec: like `t.strict`, but an unknown field is an error naming it instead of being dropped
 * silently (a typo such as `quantitiy` must not be ignored).
 */
export const closed = <P extends t.Props, O extends t.Props = t.Props>(
  name: string,
  props: P,
  optional?: O,
): ClosedType<P, O> => new ClosedType(name, props, optional ?? ({} as O));

/**
 * Failures of rules that JSON Schema cannot state (e.g. a sku twice in one list). A request that breaks only such
 * rules conforms to the published document, so it is answered 422 (well-formed, but unprocessable), never 400.
 */
const ruleErrors = new WeakSet<t.ValidationError>();

export const ruleFailure = <A>(value: unknown, context: t.Context, message: string): t.Validation<A> => {
  const error: t.ValidationError = { value, context, message };
  ruleErrors.add(error);
  return t.failures([error]);
};

/** 400 naming each invalid field; 422 when the request conforms to the document but breaks a rule beyond it. */
export const decodeOr400 = <A>(codec: t.Decoder<unknown, A>, value: unknown, what?: string): A => {
  const result = codec.decode(value);
  if (E.isLeft(result)) {
    const errors = fieldErrors(result.left);
    if (result.left.every((e) => ruleErrors.has(e))) throw unprocessable(errors, what);
    throw validationProblem(errors, what);
  }
  return result.right;
};

export type { FieldError };

/**
 * An array with a size range and, optionally, a whole-list check (e.g. no sku twice) that JSON Schema cannot
 * express; `description` says it in the document. The bounds are published as minItems/maxItems.
 */
export class BoundedArrayType<C extends t.Mixed> extends t.Type<t.TypeOf<C>[], unknown> {
  readonly _tag = 'BoundedArrayType' as const;
  /** `rule` checks what the bounds cannot say; its failure is a rule failure (422) */
  constructor(
    name: string,
    readonly items: C,
    readonly minItems: number,
    readonly maxItems: number,
    readonly description?: string,
    rule: (items: t.TypeOf<C>[]) => string | undefined = () => undefined,
  ) {
    const base = t.array(items);
    const outOfBounds = (a: readonly unknown[]): string | undefined =>
      a.length < minItems
        ? `needs at least ${minItems} item${minItems === 1 ? '' : 's'}`
        : a.length > maxItems
          ? `has ${a.length} items, at most ${maxItems} allowed`
          : undefined;
    super(
      name,
      (u): u is t.TypeOf<C>[] => base.is(u) && outOfBounds(u) === undefined && rule(u) === undefined,
      (u, context) => {
        const result = base.validate(u, context);
        if (E.isLeft(result)) return result;
        const bounds = outOfBounds(result.right);
        if (bounds !== undefined) return t.failure(u, context, bounds);
        const why = rule(result.right);
        return why === undefined ? result : ruleFailure(u, context, why);
      },
      base.encode,
    );
  }
}

/**
 * A union of closed object codecs told apart by a literal field (e.g. `kind`): a value is checked against the one
 * member its tag names, so an error names that member's fields instead of every member's, and an unknown tag is one
 * error listing the tags. Published as `oneOf` like any union (its own tag keeps member fields in error paths).
 */
export class TaggedUnionType<M extends Readonly<Record<string, t.Mixed>>> extends t.Type<
  t.TypeOf<M[keyof M]>,
  unknown
> {
  readonly _tag = 'TaggedUnionType' as const;
  readonly types: readonly t.Mixed[];
  constructor(name: string, tag: string, members: M) {
    const types = Object.values(members);
    const tags = Object.keys(members);
    super(
      name,
      (u): u is t.TypeOf<M[keyof M]> => types.some((member) => member.is(u)),
      (u, context) => {
        if (typeof u !== 'object' || u === null || Array.isArray(u)) return t.failure(u, context);
        const value = (u as Record<string, unknown>)[tag];
        const member = typeof value === 'string' && Object.hasOwn(members, value) ? members[value] : undefined;
        if (member === undefined) {
          return t.failures([
            {
              value,
              context: [...context, { key: tag, type: t.never, actual: value }],
              message: `expected one of ${tags.join(', ')}, got ${JSON.stringify(value)}`,
            },
          ]);
        }
        return member.validate(u, context) as t.Validation<t.TypeOf<M[keyof M]>>;
      },
      t.identity,
    );
    this.types = types;
  }
}
