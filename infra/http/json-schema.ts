import type * as t from 'io-ts';

/**
 * JSON Schema (OpenAPI 3.1 dialect) derived from io-ts codecs, so the published API document cannot drift
 * from what the server actually accepts. Branded types become their base type plus a description; refinements
 * we know (ids, quantities, currency) carry their constraints through `brandSchemas`.
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

const brandSchemas: Readonly<Record<string, JsonSchema>> = {
  Sku: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
  OrderId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' },
  CustomerId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' },
  RefundId: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' },
  Quantity: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  NonNegativeInt: { type: 'integer', minimum: 0 },
  Currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' },
  Timestamp: { type: 'string', format: 'date-time' },
  Reason: { type: 'string', minLength: 1, maxLength: 500 },
  Name: { type: 'string', minLength: 1, maxLength: 200 },
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
  const c = codec as unknown as Tagged & Record<string, unknown>;
  const brand = brandSchemas[c.name];
  if (brand) return brand;
  switch (c._tag) {
    case 'StringType':
      return { type: 'string' };
    case 'NumberType':
      return { type: 'number' };
    case 'BooleanType':
      return { type: 'boolean' };
    case 'LiteralType':
      return { const: c.value };
    case 'KeyofType':
      return { enum: Object.keys(c.keys as object) };
    case 'ArrayType':
    case 'ReadonlyArrayType':
      return { type: 'array', items: toJsonSchema(c.type as t.Mixed) };
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
      return { oneOf: (c.types as t.Mixed[]).map(toJsonSchema) };
    case 'IntersectionType':
      return { allOf: (c.types as t.Mixed[]).map(toJsonSchema) };
    case undefined:
    default:
      return { description: c.name };
  }
};
