import { type LLMErrorOptions, StructuredOutputError } from '../errors/classes.js';
import type { JsonSchema, SchemaInput, SchemaIssue, StandardSchema } from '../types.js';
import { isSchemaObject, isStandardSchema, standardJsonSchema } from './convert.js';
import { isStrictCompatible } from './strict.js';

/**
 * A `schema` made ready to send and to read answers with. Internal: providers send `name`,
 * `description`, `jsonSchema` and `strict` (OpenAI `response_format`, an Anthropic tool or
 * output format) and read the model's answer with `parse`.
 */
export interface ResolvedSchema<T = unknown> {
  /** `[a-zA-Z0-9_-]{1,64}`: the given name, else one made from the schema's `title`, else `response`. */
  readonly name: string;
  readonly description: string | undefined;
  /**
   * The JSON Schema to send, always an object at its root (OpenAI's `response_format` and an
   * Anthropic tool's `input_schema` need one): a schema of another type is sent as
   * `{ value: <schema> }`, and `parse` unwraps it.
   */
  readonly jsonSchema: JsonSchema;
  /** True when `jsonSchema` fits OpenAI's strict Structured Outputs. */
  readonly strict: boolean;
  /** Parses and validates the model's JSON text; `StructuredOutputError` if it is not JSON or fails. */
  parse(text: string, context?: LLMErrorOptions): Promise<T>;
  /** Validates a value already parsed (an Anthropic tool's `input`); `text` is what the error will hold. */
  validate(value: unknown, text: string, context?: LLMErrorOptions): Promise<T>;
}

/** Valid for OpenAI's `json_schema.name` and for an Anthropic tool name. */
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const DEFAULT_NAME = 'response';
/** The key a non-object schema is wrapped in. */
const WRAP_KEY = 'value';

const resolved = new WeakMap<object, Promise<ResolvedSchema>>();

/**
 * Resolves `schema` (a JSON Schema `{ name?, description?, schema }` or a Standard Schema) once
 * per schema object. Bad shapes reject with a `TypeError` naming `option`.
 *
 * @example
 * const out = await resolveSchema(z.object({ city: z.string() }));
 * out.jsonSchema; // { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }
 * await out.parse('{"city":"Oslo"}'); // { city: 'Oslo' }
 */
export function resolveSchema(schema: SchemaInput, option = 'schema'): Promise<ResolvedSchema> {
  if (!isSchemaObject(schema)) return Promise.reject(badSchema(option, schema));
  let found = resolved.get(schema);
  if (!found) {
    found = build(schema, option);
    resolved.set(schema, found);
  }
  return found;
}

async function build(input: SchemaInput, option: string): Promise<ResolvedSchema> {
  if (isStandardSchema(input)) return fromStandard(input, undefined, undefined, option);
  const { name, description, schema } = input as { name?: unknown; description?: unknown; schema?: unknown };
  if (name !== undefined && (typeof name !== 'string' || !NAME.test(name))) {
    throw new TypeError(`\`${option}.name\` must match [a-zA-Z0-9_-]{1,64}, got ${show(name)}`);
  }
  if (description !== undefined && typeof description !== 'string') {
    throw new TypeError(`\`${option}.description\` must be a string, got ${show(description)}`);
  }
  if (isStandardSchema(schema)) return fromStandard(schema, name, description, `${option}.schema`);
  if (!isPlainObject(schema)) throw badSchema(option, input);
  const { $schema: _dialect, ...json } = schema;
  return make({ name, description, json, check: undefined });
}

async function fromStandard(
  schema: StandardSchema,
  name: string | undefined,
  description: string | undefined,
  option: string,
): Promise<ResolvedSchema> {
  const json = await standardJsonSchema(schema, option);
  return make({ name, description, json, check: schema });
}

interface Parts {
  readonly name: string | undefined;
  readonly description: string | undefined;
  readonly json: JsonSchema;
  /** Validates the parsed value; absent for a plain JSON Schema (parsed, not validated). */
  readonly check: StandardSchema | undefined;
}

function make({ name, description, json, check }: Parts): ResolvedSchema {
  const wrapped = json.type !== 'object';
  const jsonSchema = deepFreeze(structuredClone(wrapped ? wrap(json) : json));
  const title = typeof json.title === 'string' ? json.title : undefined;
  const label = name ?? nameFrom(title);
  const validate = async (value: unknown, text: string, context?: LLMErrorOptions): Promise<unknown> => {
    let data = value;
    if (wrapped) {
      if (!isPlainObject(value) || !(WRAP_KEY in value)) {
        const issue: SchemaIssue = { message: `expected an object with a "${WRAP_KEY}" property`, path: [] };
        throw mismatch(label, text, [issue], context);
      }
      data = value[WRAP_KEY];
    }
    if (!check) return data;
    const result = await check['~standard'].validate(data);
    if (result.issues) throw mismatch(label, text, result.issues, context);
    return result.value;
  };
  return Object.freeze({
    name: label,
    description: description ?? (typeof json.description === 'string' ? json.description : undefined),
    jsonSchema,
    strict: isStrictCompatible(jsonSchema),
    parse: async (text: string, context?: LLMErrorOptions) =>
      validate(parseJson(text, label, context), text, context),
    validate,
  });
}

/**
 * The model's text as JSON, or a `StructuredOutputError` (no `issues`) naming the schema.
 *
 * @example
 * parseJson('{"a":1}', 'weather'); // { a: 1 }
 */
export function parseJson(text: string, label: string, context?: LLMErrorOptions): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new StructuredOutputError(
      `The answer for "${label}" is not valid JSON: ${reason}`,
      text,
      undefined,
      {
        ...context,
        cause,
      },
    );
  }
}

function mismatch(
  label: string,
  text: string,
  issues: readonly SchemaIssue[],
  context: LLMErrorOptions | undefined,
): StructuredOutputError {
  const [first] = issues;
  const where = first?.path?.length
    ? `${first.path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.')}: `
    : '';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new StructuredOutputError(
    `The answer does not match the schema "${label}": ${where}${first?.message ?? 'invalid'}${more}`,
    text,
    issues,
    context,
  );
}

/** `{ value: schema }`, its `$defs` lifted to the root and its `#` references moved with it. */
function wrap(json: JsonSchema): JsonSchema {
  const { $defs, definitions, ...inner } = json;
  return {
    type: 'object',
    properties: { [WRAP_KEY]: rebase(inner) },
    required: [WRAP_KEY],
    additionalProperties: false,
    ...($defs === undefined ? {} : { $defs }),
    ...(definitions === undefined ? {} : { definitions }),
  };
}

/** Moves a root-relative `$ref` (`#`, `#/properties/…`) under the wrapper; `#/$defs/…` stays. */
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof item === 'string' && /^#(\/(?!\$defs\/|definitions\/)|$)/.test(item)
        ? `#/properties/${WRAP_KEY}${item.slice(1)}`
        : rebase(item);
  }
  return out;
}

/** A valid name from a title: invalid characters become `_`, at most 64 of them; else `response`. */
function nameFrom(title: string | undefined): string {
  const name = (title ?? '')
    .replace(/[^a-zA-Z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return name === '' ? DEFAULT_NAME : name;
}

function badSchema(option: string, value: unknown): TypeError {
  const hint = isPlainObject(value) && !('schema' in value) ? ' (wrap a JSON Schema as `{ schema: … }`)' : '';
  return new TypeError(
    `\`${option}\` must be a JSON Schema \`{ name?, schema }\` or a Standard Schema (zod 4, valibot, arktype), got ${show(value)}${hint}`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** A short, safe picture of a value for error messages. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'function') return 'a function';
  return value === null || typeof value !== 'object' ? String(value) : 'an object';
}
