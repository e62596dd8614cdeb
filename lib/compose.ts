import { EventsLLM, installWrappers } from './llm.js';
import { FallbackLLM } from './fallback/wrapper.js';
import { RetryLLM } from './retry/wrapper.js';
import { CircuitBreakerLLM } from './guards/circuit-breaker/wrapper.js';
import { RateLimitLLM } from './guards/rate-limit/wrapper.js';
import { CacheLLM } from './guards/cache/wrapper.js';
import { TelemetryLLM } from './telemetry/wrapper.js';

// The base class hands out wrappers that extend it: wiring them here, after every class is
// defined, keeps module load order from ever leaving one undefined.
installWrappers({
  retry: (inner, config) => new RetryLLM(inner, config),
  fallbacks: (inner, llms, options) => new FallbackLLM(inner, llms, options),
  events: (inner, bus) => new EventsLLM(inner, bus),
  circuitBreaker: (inner, breaker) => new CircuitBreakerLLM(inner, breaker),
  rateLimit: (inner, limiter) => new RateLimitLLM(inner, limiter),
  cache: (inner, cache) => new CacheLLM(inner, cache),
  telemetry: (inner, telemetry) => new TelemetryLLM(inner, telemetry),
});
