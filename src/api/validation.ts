import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

/**
 * Validators: bodies are checked strictly (no type coercion, unknown fields refused), parameters and query
 * strings are coerced from text (`?limit=10`). Messages name the field and what was wrong.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const strict = new Ajv({
    allErrors: false,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: false,
    strict: false,
  });
  const coercing = new Ajv({
    allErrors: false,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: 'array',
    strict: false,
  });
  return ({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? strict : coercing).compile(schema as object);
    return (data: unknown) => {
      if (validate(data)) return { value: data };
      const error = new Error(describe(httpPart ?? 'body', validate.errors ?? [])) as Error & {
        validation: unknown;
      };
      error.validation = validate.errors;
      return { error };
    };
  };
}

function describe(part: string, errors: ErrorObject[]): string {
  const e = errors[0];
  if (!e) return `${part} is not valid`;
  const where = `${part}${e.instancePath.replace(/\//g, '.')}`.replace(/^querystring/, 'query');
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'required':
      return `${where}: missing field "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'type':
      return `${where}: must be ${(e.params as { type: string }).type}`;
    case 'enum':
      return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${where}: ${e.message ?? 'is not valid'}`;
  }
}
