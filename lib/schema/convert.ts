/**
 * JSON Schema from a Standard Schema, by the schema library's own conversion — never ours:
 * the Standard JSON Schema interface (`~standard.jsonSchema`, zod ≥ 4.2, arktype, valibot's
 * `toStandardJsonSchema`), else zod's `toJSONSchema` for an older zod 4 schema.
 *
 * The schema asked of the model is the one of the library's *output* (what the app receives:
 * every defaulted field present, an object closed to unknown keys, so OpenAI can run it
 * strict); a schema whose output cannot be written as JSON Schema (a transform) is asked by
 * its *input*. Either way the model's JSON is then validated by the library itself, so
 * defaults and transforms apply to `object`.
 */
import type { JsonSchema, StandardSchema } from '../types.js';

/** The target every conversion asks for. */
const TARGET = 'draft-2020-12';

/** The Standard JSON Schema converter, as `@standard-schema/spec` defines it. */
interface JsonSchemaConverter {
  readonly input: (options: { readonly target: string }) => Record<string, unknown>;
  readonly output: (options: { readonly target: string }) => Record<string, unknown>;
}

/** The part of zod 4's `toJSONSchema` used here. */
type ZodToJsonSchema = (
  schema: unknown,
  params: { readonly target: string; readonly io: 'input' | 'output' },
) => Record<string, unknown>;

/** True for a Standard Schema (zod 4, valibot, arktype…): an object with a `~standard.validate`. */
export function isStandardSchema(value: unknown): value is StandardSchema {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const props = (value as { '~standard'?: { validate?: unknown } })['~standard'];
  return typeof props === 'object' && props !== null && typeof props.validate === 'function';
}

/**
 * Whether `value` can be a schema: a Standard Schema (an object, or a function: arktype's types are
 * callable) or a JSON Schema object. The check every schema option makes before anything else.
 */
export function isSchemaObject(value: unknown): boolean {
  return isStandardSchema(value) || (typeof value === 'object' && value !== null && !Array.isArray(value));
}

/**
 * The JSON Schema of a Standard Schema (without `$schema`). Throws a `TypeError` naming
 * `option` when the library can give none.
 */
export async function standardJsonSchema(schema: StandardSchema, option: string): Promise<JsonSchema> {
  const props = schema['~standard'] as Props;
  const converter = props.jsonSchema;
  if (typeof converter?.output === 'function' && typeof converter.input === 'function') {
    return convert((io) => converter[io]({ target: TARGET }), props.vendor, option);
  }
  if (isZod4(schema)) {
    const toJSONSchema = await zodToJsonSchema();
    return convert((io) => toJSONSchema(schema, { target: TARGET, io }), props.vendor, option);
  }
  throw new TypeError(
    `\`${option}\` is a Standard Schema from "${props.vendor}" that cannot give a JSON Schema ` +
      "(no `~standard.jsonSchema`): convert it with its library (e.g. valibot's toStandardJsonSchema) " +
      'or pass a JSON Schema',
  );
}

/** {@link standardJsonSchemaNow}'s answers, by schema object (`null`: none). */
const written = new WeakMap<object, JsonSchema | null>();

/**
 * The JSON Schema of a Standard Schema, at once: only through `~standard.jsonSchema`
 * (`undefined` when the library has none, or cannot write this schema). Written once per schema
 * object (Standard Schemas are immutable): the cache key and the token estimate ask for it on every
 * call, and a library's conversion costs far more than a lookup. Do not mutate what it returns.
 */
export function standardJsonSchemaNow(schema: StandardSchema): JsonSchema | undefined {
  const known = written.get(schema);
  if (known !== undefined) return known ?? undefined;
  const json = writeNow(schema);
  written.set(schema, json ?? null);
  return json;
}

function writeNow(schema: StandardSchema): JsonSchema | undefined {
  const props = schema['~standard'] as Props;
  const converter = props.jsonSchema;
  if (typeof converter?.output !== 'function' || typeof converter.input !== 'function') return undefined;
  try {
    return convert((io) => converter[io]({ target: TARGET }), props.vendor, 'schema');
  } catch {
    return undefined;
  }
}

type Props = StandardSchema['~standard'] & { readonly jsonSchema?: JsonSchemaConverter };

/** The output's JSON Schema, else the input's (a transform has no JSON output), without `$schema`. */
function convert(
  to: (io: 'input' | 'output') => Record<string, unknown>,
  vendor: string,
  option: string,
): JsonSchema {
  let json: Record<string, unknown>;
  try {
    json = to('output');
  } catch {
    try {
      json = to('input');
    } catch (cause) {
      throw new TypeError(
        `\`${option}\` cannot be written as a JSON Schema by "${vendor}": ${message(cause)}`,
        { cause },
      );
    }
  }
  const { $schema: _dialect, ...rest } = json;
  return rest;
}

/** A zod 4 schema carries its internals in `_zod`; zod 3's (no JSON Schema of its own) does not. */
function isZod4(schema: StandardSchema): boolean {
  return schema['~standard'].vendor === 'zod' && typeof (schema as { _zod?: unknown })._zod === 'object';
}

let zodConverter: Promise<ZodToJsonSchema> | undefined;

/** zod's own `toJSONSchema`, from the zod the app installed (it made the schema), loaded once on first use. */
function zodToJsonSchema(): Promise<ZodToJsonSchema> {
  zodConverter ??= (async () => {
    // A CommonJS build (and jest) loads with `require`; an ES module build with `import()`.
    const core: { toJSONSchema: ZodToJsonSchema } =
      typeof require === 'function'
        ? // eslint-disable-next-line @typescript-eslint/no-require-imports
          (require('zod/v4/core') as { toJSONSchema: ZodToJsonSchema })
        : ((await import('zod/v4/core')) as unknown as { toJSONSchema: ZodToJsonSchema });
    return core.toJSONSchema;
  })();
  zodConverter.catch(() => (zodConverter = undefined));
  return zodConverter;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
