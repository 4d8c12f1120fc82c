import type * as t from 'io-ts';
import { hasConstraints, type Constraints } from '../domain/shared';

/**
 * JSON Schema (OpenAPI 3.1 dialect) derived from io-ts codecs, so the published API document cannot drift
 * from what the server actually accepts. Branded types carry their constraints as data (domain/shared/constraints)
 * and their checks are built from the same data, so each pattern, length and bound is written once.
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

const constraintSchema = (c: Constraints): JsonSchema => {
  if (c.type === 'integer') {
    const not = c.not ?? [];
    return {
      type: 'integer',
      minimum: c.minimum,
      maximum: c.maximum,
      ...(not.length === 1 ? { not: { const: not[0] } } : not.length > 1 ? { not: { enum: not } } : {}),
    };
  }
  return {
    type: 'string',
    ...(c.pattern ? { pattern: c.pattern.source } : {}),
    ...(c.minLength !== undefined ? { minLength: c.minLength } : {}),
    ...(c.maxLength !== undefined ? { maxLength: c.maxLength } : {}),
    ...(c.enum ? { enum: c.enum } : {}),
    ...(c.format ? { format: c.format } : {}),
  };
};

interface Tagged {
  readonly _tag?: string;
  readonly name: string;
}

const objectSchema = (props: t.Props, optional: t.Props, additional: boolean): JsonSchema => {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, codec] of Object.entries(props)) properties[key] = toJsonSchema(codec);
  for (const [key, codec] of Object.entries(optional)) properties[key] = toJsonSchema(codec);
  const required = Object.keys(props);
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: additional,
  };
};

/** Reads io-ts's public runtime representation (`_tag` plus the fields each combinator exposes). */
export const toJsonSchema = (codec: t.Mixed | t.Decoder<unknown, unknown>): JsonSchema => {
  if (hasConstraints(codec)) return constraintSchema(codec.constraints);
  const c = codec as unknown as Tagged & Record<string, unknown>;
  switch (c._tag) {
    case 'StringType':
      return { type: 'string' };
    case 'NumberType':
      return { type: 'number' };
    case 'BooleanType':
      return { type: 'boolean' };
    case 'NullType':
      return { type: 'null' };
    case 'LiteralType':
      return { const: c.value };
    case 'KeyofType':
      return { enum: Object.keys(c.keys as object) };
    case 'ArrayType':
    case 'ReadonlyArrayType':
      return { type: 'array', items: toJsonSchema(c.type as t.Mixed) };
    case 'BoundedArrayType':
      return {
        type: 'array',
        items: toJsonSchema(c.items as t.Mixed),
        minItems: c.minItems,
        maxItems: c.maxItems,
        ...(typeof c.description === 'string' ? { description: c.description } : {}),
      };
    case 'ReadonlyType':
    case 'RefinementType':
      return toJsonSchema(c.type as t.Mixed);
    case 'ExactType':
      return { ...toJsonSchema(c.type as t.Mixed), additionalProperties: false };
    case 'InterfaceType':
      return objectSchema(c.props as t.Props, {}, true);
    case 'PartialType':
      return objectSchema({}, c.props as t.Props, true);
    case 'ClosedType':
      return objectSchema(c.props as t.Props, c.optional as t.Props, false);
    case 'UnionType':
    case 'TaggedUnionType':
      return { oneOf: (c.types as t.Mixed[]).map(toJsonSchema) };
    case 'IntersectionType':
      return { allOf: (c.types as t.Mixed[]).map(toJsonSchema) };
    case undefined:
    default:
      return { description: c.name };
  }
};
