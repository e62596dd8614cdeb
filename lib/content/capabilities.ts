import { UnsupportedRequestError } from '../errors/classes.js';
import type { Capabilities, CallOptions, Message, Provider, ToolSpec } from '../types.js';

/** What the official APIs take: everything. */
export const ALL_CAPABILITIES: Capabilities = Object.freeze({
  tools: true,
  images: true,
  files: true,
  schema: true,
  reasoning: true,
});

const NAMES = Object.keys(ALL_CAPABILITIES) as (keyof Capabilities)[];

/**
 * A provider's `capabilities` option resolved against the defaults (all true); an unknown key
 * or a value that is not a boolean is a `TypeError` naming it.
 */
export function resolveCapabilities(given: Partial<Capabilities> | undefined): Capabilities {
  if (given === undefined) return ALL_CAPABILITIES;
  if (typeof given !== 'object' || given === null) {
    throw new TypeError(`\`capabilities\` must be an object of booleans, got ${String(given)}`);
  }
  for (const [key, value] of Object.entries(given)) {
    if (!NAMES.includes(key as keyof Capabilities)) {
      throw new TypeError(`\`capabilities\` takes ${NAMES.join(', ')}; got an unknown key "${key}"`);
    }
    if (value !== undefined && typeof value !== 'boolean') {
      throw new TypeError(`\`capabilities.${key}\` must be a boolean, got ${typeof value}`);
    }
  }
  return Object.freeze({ ...ALL_CAPABILITIES, ...stripUndefined(given) });
}

/** The capabilities a request needs: what its messages carry and what its options ask for. */
export function neededCapabilities(
  messages: readonly Message[],
  options: Pick<CallOptions, 'schema' | 'choices'>,
  tools: readonly ToolSpec[],
): Set<keyof Capabilities> {
  const needs = new Set<keyof Capabilities>();
  if (tools.length > 0) needs.add('tools');
  if (options.schema !== undefined || options.choices !== undefined) needs.add('schema');
  for (const message of messages) {
    if (typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type === 'image') needs.add('images');
      else if (part.type === 'file') needs.add('files');
      else if (part.type === 'tool-call' || part.type === 'tool-result') needs.add('tools');
      else if (part.type === 'reasoning') needs.add('reasoning');
    }
  }
  return needs;
}

/**
 * Throws `UnsupportedRequestError` (before any request) when the request needs a capability
 * the LLM lacks, naming what is missing.
 */
export function checkCapabilities(
  capabilities: Capabilities,
  needs: ReadonlySet<keyof Capabilities>,
  who: { readonly provider: Provider; readonly model: string },
): void {
  const missing = NAMES.filter((name) => needs.has(name) && !capabilities[name]);
  if (missing.length === 0) return;
  throw new UnsupportedRequestError(
    `${who.provider}:${who.model} cannot take this request: it needs ${missing.join(', ')} (see \`capabilities\`)`,
    missing,
    { provider: who.provider, model: who.model },
  );
}

function stripUndefined(given: Partial<Capabilities>): Partial<Capabilities> {
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}
