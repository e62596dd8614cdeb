import { hash } from 'node:crypto';
import type { LLMRequest } from '../../llm.js';
import type { Message, Provider, SchemaInput, ToolChoice, ToolSpec } from '../../types.js';
import { contentKey, schemaKey, toolsKey } from './content-key.js';

/**
 * What a cached answer depends on, and nothing else: the provider, the model, the
 * conversation (every content part), the sampling parameters, the tools, the tool choice,
 * the structured output asked (`schema`, `choices`), this provider's `providerOptions`, and
 * the settings the LLM's providers were built with (`defaults`).
 * The signal, timeouts, the deadline and callbacks are left out — they change how a call is
 * made, not what it answers.
 */
export interface CacheRequest {
  readonly provider: Provider;
  readonly model: string;
  readonly messages: readonly Message[];
  readonly system?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly extra?: Readonly<Record<string, unknown>>;
  readonly tools?: readonly ToolSpec[];
  readonly toolChoice?: ToolChoice;
  readonly schema?: SchemaInput;
  readonly choices?: readonly string[];
  /** The fields of `providerOptions` for this provider (the other provider's never reach it). */
  readonly providerOptions?: Readonly<Record<string, unknown>>;
  /**
   * What the LLM's providers add from their own settings (constructor `system`, sampling, default
   * tools, provider options) as canonical text; absent when they add nothing.
   */
  readonly defaults?: string;
}

/** The part of a call that a cached answer depends on; `defaults`: the LLM's `_answerScope()`. */
export function cacheRequest(
  provider: Provider,
  model: string,
  request: LLMRequest,
  defaults = '',
): CacheRequest {
  const { system, temperature, maxTokens, extra, tools, toolChoice, schema, choices } = request.options;
  const providerOptions = request.options.providerOptions?.[provider];
  return {
    provider,
    model,
    // Only what providers send: extra fields on a message never reach the wire.
    messages: request.messages.map(({ role, content }) => ({ role, content }) as Message),
    ...(system === undefined ? {} : { system }),
    ...(temperature === undefined ? {} : { temperature }),
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(extra === undefined ? {} : { extra }),
    ...(tools === undefined ? {} : { tools }),
    ...(toolChoice === undefined ? {} : { toolChoice }),
    ...(schema === undefined ? {} : { schema }),
    ...(choices === undefined ? {} : { choices }),
    ...(providerOptions === undefined ? {} : { providerOptions }),
    ...(defaults === '' ? {} : { defaults }),
  };
}

/**
 * A stable key: the sha256 (hex) of the request in a canonical form — a fixed-order array of
 * its fields, then (only when the call has any) the rest as JSON with sorted object keys, so
 * `{ a, b }` and `{ b, a }` hash alike. Content parts count by the fields a provider sends,
 * bytes by their hash; a Standard Schema (tool parameters, `schema`) by its JSON Schema.
 * Values follow `JSON.stringify` (`toJSON` is honoured, `undefined` fields are left out).
 *
 * @example
 * cacheKey({ provider: 'openai', model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }); // '3f1c…'
 */
export function cacheKey(request: CacheRequest): string {
  const { provider, model, messages, system, temperature, maxTokens, defaults } = request;
  const { extra, tools, toolChoice, schema, choices, providerOptions } = request;
  const plain = messages.every((m) => typeof m.content === 'string');
  const fields = JSON.stringify([
    provider,
    model,
    plain ? messages.map((m) => [m.role, m.content]) : null,
    system ?? null,
    temperature ?? null,
    maxTokens ?? null,
    defaults ?? null,
  ]);
  const simple =
    plain &&
    extra === undefined &&
    tools === undefined &&
    toolChoice === undefined &&
    schema === undefined &&
    choices === undefined &&
    providerOptions === undefined;
  if (simple) return hash('sha256', fields, 'hex');
  const rest = {
    ...(plain ? {} : { messages: messages.map((m) => [m.role, contentKey(m)]) }),
    ...(extra === undefined ? {} : { extra }),
    ...(tools === undefined ? {} : { tools: toolsKey(tools) }),
    ...(toolChoice === undefined ? {} : { toolChoice }),
    ...(schema === undefined ? {} : { schema: schemaKey(schema) }),
    ...(choices === undefined ? {} : { choices }),
    ...(providerOptions === undefined ? {} : { providerOptions }),
  };
  return hash('sha256', `${fields}${canonicalJson(rest)}`, 'hex');
}

/** JSON with every object's keys in sorted order, written in one pass. */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

/** `JSON.stringify` of `value` with sorted keys; `undefined` where JSON.stringify would omit it. */
function write(value: unknown): string | undefined {
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    return write((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
  if (!isPlainObject(value)) return JSON.stringify(value);
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const item = write(value[key]);
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${item}`);
  }
  return `{${parts.join(',')}}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
