import { LLMError } from '../errors/classes.js';
import type { Attempt, Reply } from '../types.js';
import { LatencyWindow } from './latency.js';

/** Successes and failures of one provider or model. */
export interface OutcomeCounts {
  successes: number;
  failures: number;
}

/** Every figure a `Telemetry` keeps; `reset()` swaps in a fresh one. */
export class Counters {
  readonly since = Date.now();
  readonly latency: LatencyWindow;
  requests = 0;
  inFlight = 0;
  successes = 0;
  failures = 0;
  cancelled = 0;
  readonly tokens = { input: 0, output: 0, total: 0 };
  attempts = 0;
  retries = 0;
  fallbacks = 0;
  /** `route()`: calls that started a hedge, and those a hedge answered first. */
  hedges = 0;
  hedgeWins = 0;
  /** `route()`: requests sent to each member (by its `describe()`). */
  readonly routes = new Map<string, number>();
  readonly cache = { hits: 0, misses: 0, stale: 0 };
  readonly rateLimit = { waits: 0, waitedMs: 0, rejections: 0 };
  readonly circuitBreaker = { blocks: 0, opened: 0 };
  readonly byProvider = new Map<string, OutcomeCounts>();
  readonly byModel = new Map<string, OutcomeCounts>();

  constructor(latencyWindow: number) {
    this.latency = new LatencyWindow(latencyWindow);
  }

  addTokens(reply: Reply): void {
    this.tokens.input += reply.usage.inputTokens;
    this.tokens.output += reply.usage.outputTokens;
    this.tokens.total += reply.usage.totalTokens;
  }

  /** Counts one event of an observed call. Unknown events are ignored. */
  observe(type: string, payload: unknown): void {
    switch (type) {
      case 'attempt': {
        const a = payload as Attempt;
        const key = a.outcome === 'success' ? 'successes' : 'failures';
        this.attempts++;
        outcomes(this.byProvider, a.provider)[key]++;
        outcomes(this.byModel, a.model)[key]++;
        return;
      }
      case 'retry':
        this.retries++;
        return;
      case 'fallback':
        this.fallbacks++;
        return;
      case 'routed': {
        const { member } = payload as { member?: unknown };
        if (typeof member === 'string') this.routes.set(member, (this.routes.get(member) ?? 0) + 1);
        return;
      }
      case 'hedgeWin':
        this.hedgeWins++;
        return;
      case 'cacheHit':
        this.cache.hits++;
        return;
      case 'cacheMiss':
        this.cache.misses++;
        return;
      case 'cacheStale':
        this.cache.stale++;
        return;
      case 'rateLimited': {
        const { waitMs, rejected } = payload as { waitMs?: unknown; rejected?: unknown };
        if (rejected === true) {
          this.rateLimit.rejections++;
          return;
        }
        this.rateLimit.waits++;
        if (typeof waitMs === 'number' && Number.isFinite(waitMs)) this.rateLimit.waitedMs += waitMs;
        return;
      }
      case 'circuitState':
        if ((payload as { to?: unknown }).to === 'open') this.circuitBreaker.opened++;
        return;
    }
  }
}

/** Adds every `CircuitOpenError` in `error` and the errors it gathers (`RetryError`, `FallbackError`) to `into`. */
export function collectCircuitOpen(error: unknown, into: Set<unknown>): void {
  if (!(error instanceof LLMError)) return;
  if (error.kind === 'circuit_open') into.add(error);
  const { errors } = error as { errors?: unknown };
  if (Array.isArray(errors)) for (const e of errors) collectCircuitOpen(e, into);
}

/** Each `route()` member's requests and its share of all routed requests, for JSON. */
export function routesSnapshot(routes: Map<string, number>): Record<string, RouteShare> {
  let total = 0;
  for (const n of routes.values()) total += n;
  return Object.fromEntries(
    [...routes].map(([member, requests]) => [member, { requests, share: requests / total }]),
  );
}

/** One `route()` member's traffic: requests sent to it, and their share of all routed requests. */
export interface RouteShare {
  readonly requests: number;
  readonly share: number;
}

/** A plain-object copy of per-key counts, for JSON. */
export function countsSnapshot(map: Map<string, OutcomeCounts>): Record<string, OutcomeCounts> {
  return Object.fromEntries([...map].map(([key, counts]) => [key, { ...counts }]));
}

function outcomes(map: Map<string, OutcomeCounts>, key: string): OutcomeCounts {
  let counts = map.get(key);
  if (!counts) map.set(key, (counts = { successes: 0, failures: 0 }));
  return counts;
}
