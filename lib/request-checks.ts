/**
 * Checks of what a caller hands to `ask()` / `stream()`, before any request: call options with no
 * unknown (misspelt) key, a prompt that is not empty, and messages whose roles exist.
 */
import type { CallOptions, Input } from './types.js';
import { checkOptionKeys, closest, optionNames } from './validate.js';

/** Names the content work (DESIGN §8, §10) adds to `CallOptions`, accepted ahead of time. */
type ContentCallOptionNames = 'providerOptions' | 'tools' | 'toolChoice' | 'schema' | 'choices';

const CALL_KEYS = optionNames<CallOptions, ContentCallOptionNames>({
  signal: true,
  deadline: true,
  timeout: true,
  firstChunkTimeout: true,
  idleTimeout: true,
  system: true,
  temperature: true,
  maxTokens: true,
  extra: true,
  providerOptions: true,
  tools: true,
  toolChoice: true,
  schema: true,
  choices: true,
});

/** The roles a message may have (`tool` carries tool results, DESIGN §8). */
const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool']);

/** Throws a `TypeError` naming a call option no `ask()`/`stream()` knows, with a did-you-mean. */
export function checkCallOptionKeys(options: object): void {
  checkOptionKeys(
    'call options',
    options,
    CALL_KEYS,
    'Provider-specific request fields go in `providerOptions: { openai: {…}, anthropic: {…} }` (or `extra`)',
  );
}

/**
 * Throws a `TypeError` for an empty (or blank) prompt, and for a message whose role is not one of
 * `system`, `user`, `assistant`, `tool`, naming its index. Other message checks belong to the
 * providers' translation.
 */
export function checkInput(input: Input): void {
  if (typeof input === 'string') {
    if (input.trim() === '')
      throw new TypeError(
        `\`input\` must be a non-empty prompt, got ${JSON.stringify(input)}: providers reject an empty user message`,
      );
    return;
  }
  input.forEach((message: unknown, i) => {
    if (typeof message !== 'object' || message === null)
      throw new TypeError(`\`input[${i}]\` must be a message { role, content }, got ${String(message)}`);
    const { role } = message as { role?: unknown };
    if (typeof role === 'string' && ROLES.has(role)) return;
    const near = typeof role === 'string' ? closest(role, ROLES) : undefined;
    throw new TypeError(
      `\`input[${i}].role\` must be one of ${[...ROLES].map((r) => `'${r}'`).join(', ')}, got ${
        typeof role === 'string' ? `'${role}'` : String(role)
      }${near === undefined ? '' : `; did you mean '${near}'?`}`,
    );
  });
}
