import { type Static, type TObjectOptions, type TProperties, type TSchema, Type } from 'typebox';

/** `{"type": "string", "enum": [...]}` typed as the union of `values` (what Ajv and OpenAPI 3.0 read best). */
export const StringEnum = <const T extends readonly string[]>(
  values: T,
  options: { default?: T[number]; description?: string } = {},
) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** `{"type": [type, "null"]}`: the schema or null, in one schema (@fastify/swagger writes it as `nullable`). */
export const Nullable = <T extends TSchema & { type: string }>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });

/** An object that refuses fields it does not list (request bodies, parameters and query strings). */
export const Strict = <T extends TProperties>(properties: T, options: TObjectOptions = {}) =>
  Type.Object(properties, { ...options, additionalProperties: false });

export const Str = Type.String();
export const Int = Type.Integer();
