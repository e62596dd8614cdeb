export { LLM, MiddlewareLLM } from './llm.js';
export { isLLM } from './brand.js';
export type {
  LLMMiddleware,
  LLMRequest,
  RequestOptions,
  CallInfo,
  AskNext,
  StreamNext,
  Guard,
  ViaLLM,
  ViaOptions,
  Explanation,
  ExplainNode,
  ExplainOptions,
} from './middleware/types.js';
export { events, EventsMiddleware } from './middleware/events.js';
export { ReplyStream, type InterruptMode } from './stream.js';
export type {
  AssistantMessage,
  AssistantPart,
  Attempt,
  CallOptions,
  Capabilities,
  FilePart,
  ImagePart,
  Input,
  JsonSchema,
  JsonSchemaSpec,
  Message,
  Provider,
  ProviderOptions,
  ReasoningPart,
  Reply,
  SchemaInput,
  SchemaIssue,
  StandardSchema,
  StandardSchemaResult,
  StopReason,
  StreamChunk,
  SystemMessage,
  TextPart,
  TimeoutOptions,
  ToolCall,
  ToolCallPart,
  ToolChoice,
  ToolMessage,
  ToolResultPart,
  ToolSpec,
  Usage,
  UserMessage,
  UserPart,
} from './types.js';
export { stopReasonOf } from './content/stop-reason.js';
export { mapText } from './content/text.js';
export {
  ProviderLLM,
  type ProviderDefaults,
  type ProviderRequest,
  type Completion,
  type StreamUpdate,
  type HeaderListener,
  type SdkPromise,
  withHeaders,
} from './providers/provider.js';
export { OpenAILLM, type OpenAILLMOptions, type OpenAIClientLike } from './providers/openai.js';
export {
  AnthropicLLM,
  type AnthropicLLMOptions,
  type AnthropicClientLike,
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
  ProviderError,
  RetryError,
  FallbackError,
  describeError,
  isLLMError,
  CircuitOpenError,
  RateLimitedError,
  StoreUnavailableError,
  StructuredOutputError,
  UnsupportedRequestError,
} from './errors/classes.js';
export { retryAfterMs } from './errors/classify.js';
export { BackoffStrategy, backoffDelay, type BackoffSettings } from './retry/backoff.js';
export type { RetryConfig } from './retry/config.js';
export type { ErrorMatcher, ErrorClass } from './errors/matchers.js';
export { retry, RetryMiddleware } from './retry/wrapper.js';
export { fallback, FallbackMiddleware, fallsBackByDefault } from './fallback/wrapper.js';
export type { FallbackOptions } from './fallback/options.js';
export { route, router, RouteMiddleware, type MemberReport } from './routing/route.js';
export type { RouteOptions, RouteStrategy, HedgeOptions } from './routing/options.js';
export { createEventBus, type EventBus, type LLMEvents } from './telemetry/events.js';
export { CircuitBreaker } from './guards/circuit-breaker/breaker.js';
export type {
  CircuitBreakerEvents,
  CircuitBreakerSnapshot,
  CircuitStateChange,
} from './guards/circuit-breaker/events.js';
export {
  DEFAULT_COUNT_ON,
  type CircuitBreakerOptions,
  type CircuitState,
} from './guards/circuit-breaker/options.js';
export { circuitBreaker, CircuitBreakerMiddleware } from './guards/circuit-breaker/wrapper.js';
export { RateLimiter } from './guards/rate-limit/limiter.js';
export type { AcquireOptions, RateLimitCheck, RateLimitTicket } from './guards/rate-limit/types.js';
export type { RateLimiterSnapshot } from './guards/rate-limit/snapshot.js';
export type { RateLimiterEvents } from './guards/rate-limit/events.js';
export type { RateLimiterOptions, TokenEstimateInput } from './guards/rate-limit/options.js';
export { rateLimit, RateLimitMiddleware } from './guards/rate-limit/wrapper.js';
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
export { cache, CacheMiddleware } from './guards/cache/wrapper.js';
export { ResponseCache, cachesByDefault, type CacheOptions, type CacheStats } from './guards/cache/store.js';
export { cacheKey, type CacheRequest } from './guards/cache/key.js';
export type { CacheEntry, CacheStore } from './guards/cache/entry.js';
export { MemoryCacheStore } from './guards/cache/memory.js';
export { RedisCacheStore, type RedisCacheStoreOptions } from './guards/cache/redis.js';
export {
  Telemetry,
  type TelemetryOptions,
  type TelemetryMetrics,
  type GuardReport,
} from './telemetry/metrics.js';
export type { ModelPrice, PriceTable, CostMetrics } from './telemetry/cost.js';
export type { OutcomeCounts } from './telemetry/counters.js';
export { telemetry, TelemetryMiddleware } from './telemetry/wrapper.js';
export type { HealthCheckOptions, ModelHealth } from './health.js';
export { runTools, tool } from './tools/run.js';
export type {
  RunToolsOptions,
  RunToolsResult,
  Tool,
  ToolExecuteOptions,
  ToolInput,
  ToolSet,
} from './tools/types.js';
export type { ReplyWithChoice, ReplyWithObject, SchemaOutput } from './schema/infer.js';
export {
  estimateInput,
  type EstimateInput,
  FILE_PAGE_TOKENS,
  IMAGE_TOKENS,
} from './guards/rate-limit/estimate-input.js';
