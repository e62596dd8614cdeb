import { createHash } from 'node:crypto';
import type { LLMRequest } from '../../llm.js';
import type { Message, Provider } from '../../types.js';

/**
 * What a cached answer depends on, and nothing else: the provider, the model, the
 * conversation and the sampling parameters of the call. The signal, timeouts, the deadline
 * and callbacks are left out — they change how a call is made, not what it answers.
 */
export interface CacheRequest {
  readonly provider: Provider;
  readonly model: string;
  readonly messages: readonly Message[];
  readonly system?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The part of a call that a cached answer depends on. */
export function cacheRequest(provider: Provider, model: string, request: LLMRequest): CacheRequest {
  const { system, temperature, maxTokens, extra } = request.options;
  return {
    provider,
    model,
    // Only what providers send: extra fields on a message never reach the wire.
    messages: request.messages.map(({ role, content }) => ({ role, content })),
    ...(system === undefined ? {} : { system }),
    ...(temperature === undefined ? {} : { temperature }),
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(extra === undefined ? {} : { extra }),
  };
}

/**
 * A stable key: the sha256 (hex) of the request's canonical JSON, in which every object's
 * keys are sorted, so `{ a, b }` and `{ b, a }` hash alike. Values follow `JSON.stringify`
 * (`toJSON` is honoured, `undefined` fields are left out).
 *
 * @example
 * cacheKey({ provider: 'openai', model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }); // '3f1c…'
 */
export function cacheKey(request: CacheRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/** JSON with every object's keys in sorted order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (isPlainObject(v) ? sortedCopy(v) : v)) ?? 'null';
}

function sortedCopy(object: Record<string, unknown>): Record<string, unknown> {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(object).sort()) {
    Object.defineProperty(sorted, key, { value: object[key], enumerable: true, writable: true });
  }
  return sorted;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
