import type { LLM } from '../llm.js';
import type { InterruptMode } from '../stream.js';
import { checkOptionKeys, optionNames } from '../validate.js';

/**
 * Options of `withFallbacks`.
 *
 * @example
 * primary.withFallbacks([backup], { fallbackCondition: (e) => e instanceof ContextLengthError });
 */
export interface FallbackOptions {
  /** Replaces the default: fall back on every `LLMError` but `ContentFilterError`. */
  readonly fallbackCondition?: (error: unknown) => boolean;
  /** Called with exactly what the failed LLM threw, before `next` is tried. May be async. */
  readonly onFallback?: (error: unknown, next: LLM) => unknown;
  /** A stream cut after text reached the caller: end with `StreamInterruptedError`, or restart on the next LLM. @default 'error' */
  readonly onInterrupt?: InterruptMode;
}

const FALLBACK_KEYS = optionNames<FallbackOptions>({
  fallbackCondition: true,
  onFallback: true,
  onInterrupt: true,
});

/** Checks a `withFallbacks` options object: an object, with no unknown (misspelt) key. */
export function checkFallbackOptions(options: unknown): asserts options is FallbackOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`\`withFallbacks\` options must be an object, got ${String(options)}`);
  checkOptionKeys('`withFallbacks` options', options, FALLBACK_KEYS);
}
