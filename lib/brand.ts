import type { LLM } from './llm.js';

/**
 * The brand every `LLM` carries, registered with `Symbol.for` so it is the same symbol in every
 * copy of the package (an app loading it through both `import` and `require`).
 */
export const LLM_BRAND: unique symbol = Symbol.for('llm-resilience.LLM') as never;

/**
 * True for an `LLM` of any copy of this package: what `withFallbacks`, `call.via` and `use()`
 * check, so LLMs mix across module copies.
 *
 * @example
 * isLLM(new OpenAILLM('gpt-4o')); // true
 */
export function isLLM(value: unknown): value is LLM {
  return (
    typeof value === 'object' && value !== null && (value as { [LLM_BRAND]?: unknown })[LLM_BRAND] === true
  );
}
