import * as t from 'io-ts';
import * as E from 'fp-ts/Either';
import { fieldErrors, type FieldError } from '../../domain/shared';
import { validationProblem } from './problem';

/**
 * A closed object codec: like `t.strict`, but an unknown field is an error naming it instead of being dropped
 * silently (a typo such as `quantitiy` must not be ignored).
 */
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

export const decodeOr400 = <A>(codec: t.Decoder<unknown, A>, value: unknown, what?: string): A => {
  const result = codec.decode(value);
  if (E.isLeft(result)) throw validationProblem(fieldErrors(result.left), what);
  return result.right;
};

export type { FieldError };
