/**
 * Whether a JSON Schema fits OpenAI's strict Structured Outputs, so it can be sent with
 * `strict: true` (a schema that does not is sent non-strict: the model is guided, not bound).
 * The rules, from OpenAI's "Supported schemas": the root is an object (not `anyOf`); every
 * object lists all its properties in `required` and has `additionalProperties: false`; only
 * these keywords appear: `type`, `properties`, `required`, `additionalProperties`, `items`,
 * `enum`, `anyOf`, `$ref`, `$defs`/`definitions`, `title`, `description`, string `pattern`
 * and `format` (its listed formats), number bounds and `multipleOf`, `minItems`/`maxItems`;
 * at most 10 levels of nested objects, 5000 properties and 1000 enum values in all. Anything
 * else (`default`, `const`, `oneOf`, `allOf`, tuples, records, `minLength`…) is not strict.
 */
import type { JsonSchema } from '../types.js';

const KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'anyOf',
  '$ref',
  '$defs',
  'definitions',
  'title',
  'description',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const FORMATS = new Set([
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uuid',
]);
const MAX_DEPTH = 10;
const MAX_PROPERTIES = 5000;
const MAX_ENUM_VALUES = 1000;

/** True when OpenAI would accept `schema` with `strict: true`. */
export function isStrictCompatible(schema: JsonSchema): boolean {
  if (schema.type !== 'object' || 'anyOf' in schema) return false;
  const budget = { properties: 0, enumValues: 0 };
  if (!node(schema, 1, budget, true)) return false;
  for (const defs of [schema.$defs, schema.definitions]) {
    if (defs === undefined) continue;
    if (!isObject(defs)) return false;
    for (const def of Object.values(defs)) if (!node(def, 1, budget)) return false;
  }
  return true;
}

function node(
  schema: unknown,
  depth: number,
  budget: { properties: number; enumValues: number },
  root = false,
): boolean {
  if (!isObject(schema)) return false;
  for (const key of Object.keys(schema)) if (!KEYWORDS.has(key)) return false;
  if (!root && ('$defs' in schema || 'definitions' in schema)) return false;
  const { type, properties, required, additionalProperties, items, anyOf, format } = schema;
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  if (!types.every((t) => typeof t === 'string' && TYPES.has(t))) return false;
  if (format !== undefined && !(typeof format === 'string' && FORMATS.has(format))) return false;
  if (schema.enum !== undefined) {
    if (!Array.isArray(schema.enum)) return false;
    budget.enumValues += schema.enum.length;
    if (budget.enumValues > MAX_ENUM_VALUES) return false;
  }
  if (types.includes('object') || properties !== undefined) {
    if (depth > MAX_DEPTH || !isObject(properties) || additionalProperties !== false) return false;
    const names = Object.keys(properties);
    budget.properties += names.length;
    if (budget.properties > MAX_PROPERTIES) return false;
    if (!Array.isArray(required) || !names.every((name) => required.includes(name))) return false;
    for (const name of names) if (!node(properties[name], depth + 1, budget)) return false;
  } else if (additionalProperties !== undefined || required !== undefined) {
    return false;
  }
  if (items !== undefined && !node(items, depth, budget)) return false;
  if (anyOf !== undefined) {
    if (!Array.isArray(anyOf)) return false;
    for (const member of anyOf) if (!node(member, depth, budget)) return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
