import { createHash } from 'node:crypto';
import type { Message } from '../types.js';

/** What a provider accepts as a tool-call id. */
export interface ToolIdRule {
  /** True for an id the provider takes as it is. */
  accepts(id: string): boolean;
  /** The longest id the provider takes. */
  readonly maxLength: number;
}

/** Anthropic takes `[a-zA-Z0-9_-]` only. */
export const ANTHROPIC_TOOL_IDS: ToolIdRule = Object.freeze({
  accepts: (id: string) => /^[a-zA-Z0-9_-]{1,64}$/.test(id),
  maxLength: 64,
});

/** OpenAI takes any string up to 40 characters. */
export const OPENAI_TOOL_IDS: ToolIdRule = Object.freeze({
  accepts: (id: string) => id.length > 0 && id.length <= 40,
  maxLength: 40,
});

const SAFE = /[^a-zA-Z0-9_-]/g;

/** The rewrites of a conversation without tool calls: none. */
const NO_REWRITES: ReadonlyMap<string, string> = new Map();

/**
 * The ids of a request's tool calls and results that `rule` rejects, each mapped to a
 * replacement: `[a-zA-Z0-9_-]` only, within `rule.maxLength`, the same for a call and its
 * result, deterministic (the same conversation gives the same ids on every attempt), distinct
 * ids kept distinct (a hash of the original id, lengthened on the rare clash), and ids the
 * target accepts left as they are (absent from the map).
 *
 * @example
 * toolIdRewrites(messages, ANTHROPIC_TOOL_IDS).get('functions.get_weather:0'); // 'functions_get_weather_0_3f9a1c2b7d4e'
 */
export function toolIdRewrites(messages: readonly Message[], rule: ToolIdRule): ReadonlyMap<string, string> {
  let ids: Set<string> | undefined; // made at the first tool call or result: a conversation without any allocates nothing
  for (const message of messages) {
    if (typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type === 'tool-call') (ids ??= new Set()).add(part.id);
      else if (part.type === 'tool-result') (ids ??= new Set()).add(part.toolCallId);
    }
  }
  if (ids === undefined) return NO_REWRITES;
  const rewrites = new Map<string, string>();
  const taken = new Set([...ids].filter((id) => rule.accepts(id)));
  for (const id of ids) {
    if (taken.has(id)) continue;
    const digest = createHash('sha256').update(id).digest('hex');
    for (let hashLength = 12; ; hashLength += 4) {
      const keep = Math.max(0, rule.maxLength - hashLength - 1);
      const candidate = `${id.replace(SAFE, '_').slice(0, keep)}_${digest.slice(0, hashLength)}`.replace(
        /^_/,
        't',
      );
      if (!taken.has(candidate) || hashLength >= 64) {
        taken.add(candidate);
        rewrites.set(id, candidate);
        break;
      }
    }
  }
  return rewrites;
}
