import { z } from 'zod';
import { servicesFile } from './schema';

type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of the services file, generated from the same zod schema `apply` validates with:
 * what a person may write (defaults filled in are optional), with every field's description and examples.
 * Rules across fields (a stageChecks key that is not a stage, a name used twice) are checked by
 * `conveyor validate`, not by the schema.
 */
export function servicesJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(servicesFile, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    // zod leaves out the examples of a field whose value it transforms (days, matchers); they are
    // written the way a person types them, so they belong to the input schema too.
    override: ({ zodSchema, jsonSchema }) => {
      const examples = z.globalRegistry.get(zodSchema as unknown as z.ZodType)?.examples;
      if (examples !== undefined && jsonSchema.examples === undefined) jsonSchema.examples = examples as never;
    },
  }) as JsonSchema;
  return { $schema: schema.$schema, title: 'conveyor services file', ...schema };
}

/** The schema as checked in: two-space JSON and a final newline. */
export const servicesJsonSchemaText = (): string => `${JSON.stringify(servicesJsonSchema(), null, 2)}\n`;

/** The part of a JSON Schema that describes the value at `path`, or undefined (used for "did you mean"). */
export function schemaAt(schema: JsonSchema | undefined, path: readonly PropertyKey[]): JsonSchema | undefined {
  if (!schema) return undefined;
  if (!path.length) return schema;
  const [key, ...rest] = path;
  const options = [schema, ...((schema.anyOf ?? schema.oneOf ?? []) as JsonSchema[])];
  for (const option of options) {
    const properties = option.properties as Record<string, JsonSchema> | undefined;
    if (typeof key === 'string' && properties?.[key]) return schemaAt(properties[key], rest);
    if (typeof key === 'number' && option.items) return schemaAt(option.items as JsonSchema, rest);
    if (typeof key === 'string' && typeof option.additionalProperties === 'object')
      return schemaAt(option.additionalProperties as JsonSchema, rest);
  }
  return undefined;
}

/** The keys an object at `path` may have. */
export function keysAt(schema: JsonSchema, path: readonly PropertyKey[]): string[] {
  const at = schemaAt(schema, path);
  if (!at) return [];
  const options = [at, ...((at.anyOf ?? at.oneOf ?? []) as JsonSchema[])];
  return [...new Set(options.flatMap((o) => Object.keys((o.properties as object | undefined) ?? {})))];
}
