import './compose.js';

export { LLM } from './llm.js';
export type { LLMRequest } from './llm.js';
export { ReplyStream } from './stream.js';
export type {
  Attempt,
  CallOptions,
  Input,
  Message,
  Provider,
  Reply,
  StreamChunk,
  TimeoutOptions,
  Usage,
} from './types.js';
export { OpenAILLM, type OpenAILLMOptions } from './providers/openai.js';
export {
  AnthropicLLM,
  type AnthropicLLMOptions,
  DEFAULT_ANTHROPIC_MAX_TOKENS,
} from './providers/anthropic.js';
export {
  LLMError,
  type ErrorKind,
  type LLMErrorOptions,
  RateLimitError,
  QuotaExceededError,
  OverloadedError,
  ServerError,
  TimeoutError,
  ConnectionError,
  StreamInterruptedError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ContextLengthError,
  ContentFilterError,
  BadRequestError,
  RetryError,
  FallbackError,
  describeError,
} from './errors/classes.js';
export { retryAfterMs } from './errors/classify.js';
export { BackoffStrategy, backoffDelay, type BackoffSettings } from './retry/backoff.js';
export type { RetryConfig, InterruptMode } from './retry/config.js';
export type { ErrorMatcher, ErrorClass } from './retry/matchers.js';
export { RetryLLM } from './retry/wrapper.js';
export { FallbackLLM, fallsBackByDefault } from './fallback/wrapper.js';
export type { FallbackOptions } from './fallback/options.js';
export { createEventBus, type EventBus, type LLMEvents } from './telemetry/events.js';
export { EventsLLM } from './llm.js';
