import { type ChainLeaf, guardState, leavesOf } from './chain.js';
import { describeError, TimeoutError } from './errors/classes.js';
import type { LLM } from './llm.js';
import { raceAbort, setTimer } from './sleep.js';
import type { Provider } from './types.js';
import { checkDuration, checkOptionKeys, describeValue, optionNames } from './validate.js';

/** Options of `healthCheck()`. */
export interface HealthCheckOptions {
  /**
   * Bounds each model's check, in ms; past it the model is reported unreachable with a `TimeoutError`.
   * @default 10_000
   */
  readonly timeout?: number;
  /** Aborting rejects the whole check with `signal.reason`. */
  readonly signal?: AbortSignal;
}

const HEALTH_KEYS = optionNames<HealthCheckOptions>({ timeout: true, signal: true });

/** The health of one provider model of a chain. Plain and JSON-serialisable. */
export interface ModelHealth {
  readonly model: string;
  readonly provider: Provider;
  /** `describe()` of the provider LLM, e.g. `openai:gpt-4o`. */
  readonly llm: string;
  /** The provider answered its cheapest real request (a models-list call). */
  readonly reachable: boolean;
  /** How long that request took, in ms (to its failure, if it failed). */
  readonly latencyMs: number;
  /** Why it is unreachable, as `Name: message` (e.g. `ConnectionError: Connection error.`). */
  readonly error?: string;
  /** The state (`'closed'`, `'open'`, `'half_open'`) of the innermost circuit breaker in front of this model, if any. */
  readonly breaker?: unknown;
  /**
   * The innermost rate limiter in front of this model, if any: its `describeState()`
   * (`remainingRequests`, `remainingTokens`, `queued`, `heldForMs`, …).
   */
  readonly limiter?: unknown;
}

interface Pingable {
  ping(signal?: AbortSignal): Promise<void>;
}

/**
 * Checks every provider model of `root`'s chain at once (each provider once, in chain order):
 * one cheap real request each, bounded by `timeout`. A check never counts as a call: it goes
 * around retries, breakers and limiters, whose state it reports alongside.
 */
export async function checkHealth(root: LLM, options: HealthCheckOptions = {}): Promise<ModelHealth[]> {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`health check options must be an object, got ${describeValue(options)}`);
  checkOptionKeys('`healthCheck` options', options, HEALTH_KEYS);
  const { timeout = 10_000, signal } = options;
  checkDuration('timeout', timeout);
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new TypeError(`\`signal\` must be an AbortSignal, got ${describeValue(signal)}`);
  signal?.throwIfAborted();
  const checks = leavesOf(root).map((leaf) => checkLeaf(leaf, timeout, signal));
  return raceAbort(Promise.all(checks), signal);
}

async function checkLeaf(
  leaf: ChainLeaf,
  timeout: number,
  signal: AbortSignal | undefined,
): Promise<ModelHealth> {
  const { llm } = leaf;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimer(() => {
    const message = `The health check of ${llm.describe()} took longer than ${timeout} ms`;
    controller.abort(new TimeoutError(message, { provider: llm.provider, model: llm.model }));
  }, timeout);
  const startedAt = Date.now();
  let error: unknown;
  try {
    await raceAbort(ping(llm, controller.signal), controller.signal);
  } catch (e) {
    error = e;
  } finally {
    timer.clear();
    signal?.removeEventListener('abort', onAbort);
  }
  const latencyMs = Date.now() - startedAt;
  const breaker = leaf.breakers[0];
  const limiter = leaf.limiters[0];
  return {
    model: llm.model,
    provider: llm.provider,
    llm: llm.describe(),
    reachable: error === undefined,
    latencyMs,
    ...(error === undefined ? {} : { error: describeError(error) }),
    ...(breaker ? { breaker: breakerState(breaker.guard) } : {}),
    ...(limiter ? { limiter: guardState(limiter.guard) } : {}),
  };
}

/** A breaker's `state` (`'closed'`, `'open'`, `'half_open'`), else whatever it reports. */
function breakerState(guard: object): unknown {
  const { state } = guard as { state?: unknown };
  return typeof state === 'string' ? state : guardState(guard);
}

function ping(llm: LLM, signal: AbortSignal): Promise<void> {
  const target = llm as Partial<Pingable>;
  if (typeof target.ping !== 'function') {
    return Promise.reject(new TypeError(`${llm.describe()} has no ping(): it cannot be checked`));
  }
  return target.ping(signal);
}
