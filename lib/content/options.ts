import { isSchemaObject } from '../schema/convert.js';
import type { CallOptions } from '../types.js';
import { show } from './validate.js';

/** Tool names both providers accept. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Shape checks of the content options of a call (or of a provider's defaults): `tools`,
 * `toolChoice`, `schema`, `choices`, `providerOptions`. Each throws a `TypeError` naming the
 * option and the value; resolving a schema to JSON Schema is the schema module's job.
 */
export function checkContentOptions(options: Partial<CallOptions>, prefix = ''): void {
  const { tools, toolChoice, schema, choices, providerOptions } = options;
  if (tools !== undefined) checkTools(tools, `${prefix}tools`);
  if (toolChoice !== undefined) checkToolChoice(toolChoice, `${prefix}toolChoice`);
  if (schema !== undefined && !isSchemaLike(schema)) {
    throw new TypeError(
      `\`${prefix}schema\` must be a Standard Schema (e.g. zod) or { name?, schema: JSON Schema }, got ${show(schema)}`,
    );
  }
  if (choices !== undefined) {
    if (!Array.isArray(choices) || choices.length === 0 || choices.some((c) => typeof c !== 'string')) {
      throw new TypeError(`\`${prefix}choices\` must be a non-empty array of strings, got ${show(choices)}`);
    }
  }
  if (providerOptions !== undefined) checkProviderOptions(providerOptions, `${prefix}providerOptions`);
}

function checkTools(tools: unknown, name: string): void {
  if (!Array.isArray(tools)) throw new TypeError(`\`${name}\` must be an array of tools, got ${show(tools)}`);
  const seen = new Set<string>();
  tools.forEach((tool: unknown, i) => {
    const at = `${name}[${i}]`;
    if (typeof tool !== 'object' || tool === null)
      throw new TypeError(`\`${at}\` must be a tool, got ${show(tool)}`);
    const { name: toolName, description, parameters } = tool as Record<string, unknown>;
    if (typeof toolName !== 'string' || !TOOL_NAME.test(toolName)) {
      throw new TypeError(`\`${at}.name\` must match [a-zA-Z0-9_-]{1,64}, got ${show(toolName)}`);
    }
    if (seen.has(toolName)) throw new TypeError(`\`${at}.name\` ${show(toolName)} is given twice`);
    seen.add(toolName);
    if (description !== undefined && typeof description !== 'string') {
      throw new TypeError(`\`${at}.description\` must be a string, got ${show(description)}`);
    }
    if (!isSchemaObject(parameters)) {
      throw new TypeError(
        `\`${at}.parameters\` must be a JSON Schema object or a Standard Schema, got ${show(parameters)}`,
      );
    }
  });
}

function checkToolChoice(choice: unknown, name: string): void {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return;
  if (
    typeof choice === 'object' &&
    choice !== null &&
    typeof (choice as { name?: unknown }).name === 'string'
  )
    return;
  throw new TypeError(`\`${name}\` must be 'auto', 'none', 'required' or { name }, got ${show(choice)}`);
}

function checkProviderOptions(value: unknown, name: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`\`${name}\` must be an object { openai?, anthropic? }, got ${show(value)}`);
  }
  for (const [key, fields] of Object.entries(value)) {
    if (key !== 'openai' && key !== 'anthropic') {
      throw new TypeError(`\`${name}\` takes only 'openai' and 'anthropic', got ${show(key)}`);
    }
    if (fields !== undefined && (typeof fields !== 'object' || fields === null || Array.isArray(fields))) {
      throw new TypeError(`\`${name}.${key}\` must be an object of request fields, got ${show(fields)}`);
    }
  }
}

/** A Standard Schema (`~standard`) or `{ schema: object }`. */
function isSchemaLike(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' && '~standard' in value;
  if ('~standard' in value) return true;
  const inner = (value as { schema?: unknown }).schema;
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner);
}
