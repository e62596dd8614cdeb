import type { LLM } from '../llm.js';
import type { InterruptMode } from '../stream.js';

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
