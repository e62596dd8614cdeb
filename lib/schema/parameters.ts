import { type LLMErrorOptions, StructuredOutputError } from '../errors/classes.js';
import type { JsonSchema, StandardSchema } from '../types.js';
import { isSchemaObject, isStandardSchema, standardJsonSchema } from './convert.js';
import { show } from './resolve.js';
import { isStrictCompatible } from './strict.js';

/** A tool's `parameters` made ready: the JSON Schema to send, and a check of the model's input. */
export interface ResolvedParameters {
  /** An object schema (a tool's input is always an object). */
  readonly jsonSchema: JsonSchema;
  /** True when it fits OpenAI's strict function calling. */
  readonly strict: boolean;
  /**
   * The tool's input as the schema's output (defaults and transforms applied) for a Standard
   * Schema, or as it is for a JSON Schema; `StructuredOutputError` with `issues` if it fails.
   */
  validate(input: unknown, context?: LLMErrorOptions): Promise<unknown>;
}

const resolved = new WeakMap<object, Promise<ResolvedParameters>>();

/**
 * Resolves a tool's `parameters` (a JSON Schema object, or a Standard Schema that can give one)
 * once per object. Anything else, or a schema whose root is not an object, rejects with a
 * `TypeError` naming `option` (e.g. `tools[0].parameters`).
 *
 * @example
 * const { jsonSchema } = await resolveParameters(z.object({ city: z.string() }), 'tools[0].parameters');
 */
export function resolveParameters(
  parameters: JsonSchema | StandardSchema,
  option: string,
): Promise<ResolvedParameters> {
  if (!isSchemaObject(parameters)) {
    return Promise.reject(
      new TypeError(
        `\`${option}\` must be a JSON Schema object or a Standard Schema, got ${show(parameters)}`,
      ),
    );
  }
  let found = resolved.get(parameters);
  if (!found) {
    found = build(parameters, option);
    resolved.set(parameters, found);
  }
  return found;
}

async function build(parameters: JsonSchema | StandardSchema, option: string): Promise<ResolvedParameters> {
  const standard = isStandardSchema(parameters) ? parameters : undefined;
  let json: JsonSchema;
  if (standard) json = await standardJsonSchema(standard, option);
  else {
    const { $schema: _dialect, ...rest } = parameters as JsonSchema;
    json = rest;
  }
  if (json.type !== undefined && json.type !== 'object') {
    throw new TypeError(
      `\`${option}\` must describe an object (a tool's input), got type ${show(json.type)}`,
    );
  }
  const jsonSchema = Object.freeze(structuredClone(json));
  return Object.freeze({
    jsonSchema,
    strict: isStrictCompatible(jsonSchema),
    async validate(input: unknown, context?: LLMErrorOptions): Promise<unknown> {
      if (!standard) return input;
      const result = await standard['~standard'].validate(input);
      if (!result.issues) return result.value;
      const [first] = result.issues;
      throw new StructuredOutputError(
        `The tool input does not match \`${option}\`: ${first?.message ?? 'invalid'}`,
        JSON.stringify(input) ?? String(input),
        result.issues,
        context,
      );
    },
  });
}
