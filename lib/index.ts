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
  CircuitOpenError,
  RateLimitedError,
  StoreUnavailableError,
} from './errors/classes.js';
export { retryAfterMs } from './errors/classify.js';
export { BackoffStrategy, backoffDelay, type BackoffSettings } from './retry/backoff.js';
export type { RetryConfig, InterruptMode } from './retry/config.js';
export type { ErrorMatcher, ErrorClass } from './retry/matchers.js';
export { RetryLLM } from './retry/wrapper.js';
export { FallbackLLM, fallsBackByDefault } from './fallback/wrapper.js';
export type { FallbackOptions } from './fallback/options.js';
export { route, RouteLLM, type MemberReport } from './routing/route.js';
export type { RouteOptions, RouteStrategy, HedgeOptions } from './routing/options.js';
export { createEventBus, type EventBus, type LLMEvents } from './telemetry/events.js';
export { EventsLLM } from './llm.js';
export {
  CircuitBreaker,
  type CircuitBreakerEvents,
  type CircuitBreakerSnapshot,
  type CircuitStateChange,
} from './guards/circuit-breaker/breaker.js';
export {
  DEFAULT_COUNT_ON,
  type CircuitBreakerOptions,
  type CircuitState,
} from './guards/circuit-breaker/options.js';
export { CircuitBreakerLLM } from './guards/circuit-breaker/wrapper.js';
export {
  RateLimiter,
  type AcquireOptions,
  type RateLimitCheck,
  type RateLimiterSnapshot,
  type RateLimitTicket,
  type RateLimiterEvents,
} from './guards/rate-limit/limiter.js';
export type { RateLimiterOptions, TokenEstimateInput } from './guards/rate-limit/options.js';
export { RateLimitLLM } from './guards/rate-limit/wrapper.js';
export type {
  StateStore,
  StoreErrorPolicy,
  StoreStatusChange,
  CircuitSettings,
  SharedCircuit,
  SharedCircuitAdmission,
  SharedCircuitView,
  WindowSettings,
  SharedWindow,
  SharedReservation,
  SharedWindowUsage,
} from './guards/store/types.js';
export { RedisStateStore, type RedisStateStoreOptions, type RedisClientLike } from './guards/store/redis.js';
export { CacheLLM } from './guards/cache/wrapper.js';
export { ResponseCache, cachesByDefault, type CacheOptions, type CacheStats } from './guards/cache/store.js';
export { cacheKey, type CacheRequest } from './guards/cache/key.js';
export {
  Telemetry,
  type TelemetryOptions,
  type TelemetryMetrics,
  type GuardReport,
} from './telemetry/metrics.js';
export type { OutcomeCounts } from './telemetry/counters.js';
export { TelemetryLLM } from './telemetry/wrapper.js';
export type { HealthCheckOptions, ModelHealth } from './health.js';
