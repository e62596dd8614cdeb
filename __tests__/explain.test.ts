import {
  type Explanation,
  type LLM,
  type LLMMiddleware,
  OpenAILLM,
  OverloadedError,
  Telemetry,
} from '../lib/index.js';
import { ScriptLLM, seeded, type Step } from './helpers/script.js';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

const T = 1_000; // every attempt's timeout
/** An attempt that takes (almost) its whole timeout, then asks for a very long Retry-After. */
const slowBusy = (): Step => ({
  delayMs: T - 1,
  error: new OverloadedError('busy', {
    provider: 'openai',
    model: 'm',
    status: 503,
    retryAfterMs: 10_000_000,
  }),
});
const hang: Step = { hang: true };

/** Runs one call in fake time; returns how long it took (fake ms) and how many requests it made. */
async function measure(
  chain: LLM,
  leaves: readonly ScriptLLM[],
  options: { deadline?: number; timeout?: number } = {},
): Promise<{ ms: number; requests: number }> {
  const before = leaves.reduce((n, l) => n + l.calls, 0);
  const started = Date.now();
  const done = chain.ask('hi', { timeout: T, ...options }).then(
    () => undefined,
    () => undefined,
  );
  await jest.runAllTimersAsync();
  await done;
  return { ms: Date.now() - started, requests: leaves.reduce((n, l) => n + l.calls, 0) - before };
}

/** Asserts the measured worst case stays within the figures; returns the figures for a closer look. */
async function within(
  chain: LLM,
  leaves: readonly ScriptLLM[],
  options: { deadline?: number } = {},
): Promise<Explanation & { measured: { ms: number; requests: number } }> {
  const figures = chain.explain({ timeout: T, ...options });
  const measured = await measure(chain, leaves, options);
  expect(measured.ms).toBeLessThanOrEqual(figures.worstCaseMs);
  expect(measured.requests).toBeLessThanOrEqual(figures.maxRequests);
  return { ...figures, measured };
}

describe('explain()', () => {
  it('1. a bare provider: one request, bounded by its timeout', async () => {
    const a = new ScriptLLM('a', [hang]);
    const result = await within(a, [a]);
    expect([result.maxRequests, result.worstCaseMs, result.measured.ms]).toEqual([1, T, T]);
    expect(new OpenAILLM('gpt-4o', { apiKey: 'k', timeout: 30_000 }).explain().worstCaseMs).toBe(30_000);
  });

  it('2. no timeout anywhere: Infinity with the reason; a deadline caps it', async () => {
    const open = new OpenAILLM('gpt-4o', { apiKey: 'k' }).withRetry(2).explain();
    expect(open).toMatchObject({
      maxRequests: 3,
      worstCaseMs: Infinity,
      reason: 'no timeout on openai:gpt-4o',
    });
    const a = new ScriptLLM('a', [hang]);
    const chain = a.withRetry({ maxRetries: 2, initialDelay: 10 });
    const capped = chain.explain({ deadline: 2_500 });
    expect(capped).toMatchObject({
      maxRequests: 3,
      worstCaseMs: 2_500,
      reason: expect.stringMatching(/deadline/),
    });
    const measured = await measure(chain, [a], { deadline: 2_500, timeout: undefined }); // no timeout: only the deadline ends it
    expect(measured).toEqual({ ms: 2_500, requests: 1 });
    expect(measured.ms).toBeLessThanOrEqual(capped.worstCaseMs);
  });

  it('3. retry honouring Retry-After: every wait counts as maxDelay, and the measure reaches it', async () => {
    const a = new ScriptLLM('a', [slowBusy()]);
    const chain = a.withRetry({ maxRetries: 3, initialDelay: 100, maxDelay: 2_000 });
    const result = await within(chain, [a]);
    expect([result.maxRequests, result.worstCaseMs]).toEqual([4, 4 * T + 3 * 2_000]);
    expect(result.measured).toEqual({ ms: 4 * (T - 1) + 3 * 2_000, requests: 4 });
    expect(result.tree).toMatchObject({
      llm: 'retry(openai:a ×4)',
      children: [{ llm: 'openai:a', worstCaseMs: T }],
    });
  });

  it('4. retry without Retry-After: the largest backoff, +10 % jitter', async () => {
    const a = new ScriptLLM('a', [hang]);
    const chain = a.withRetry({
      maxRetries: 3,
      initialDelay: 100,
      respectRetryAfter: false,
      random: seeded(7),
    });
    const result = await within(chain, [a]);
    expect(result.worstCaseMs).toBeCloseTo(4 * T + 1.1 * (100 + 200 + 400), 6);
    expect(result.measured.requests).toBe(4);
    const fixed = a.withRetry({
      maxRetries: 2,
      initialDelay: 300,
      backoffStrategy: 'fixed',
      respectRetryAfter: false,
    });
    expect(fixed.explain({ timeout: T }).worstCaseMs).toBe(3 * T + 600);
  });

  it('5. retried primary, then a retried fallback: requests and times add up', async () => {
    const a = new ScriptLLM('a', [slowBusy()]);
    const b = new ScriptLLM('b', [slowBusy()]);
    const retry = { initialDelay: 10, maxDelay: 500 };
    const chain = a
      .withRetry({ maxRetries: 2, ...retry })
      .withFallbacks([b.withRetry({ maxRetries: 1, ...retry })]);
    const result = await within(chain, [a, b]);
    expect([result.maxRequests, result.worstCaseMs]).toEqual([5, 3 * T + 2 * 500 + (2 * T + 500)]);
    expect(result.measured.requests).toBe(5);
  });

  it('6. a fallback chain retried as a whole: the chain runs maxRetries + 1 times', async () => {
    const a = new ScriptLLM('a', [slowBusy()]);
    const b = new ScriptLLM('b', [slowBusy()]);
    const chain = a.withFallbacks([b]).withRetry({ maxRetries: 2, initialDelay: 10, maxDelay: 300 });
    const result = await within(chain, [a, b]);
    expect([result.maxRequests, result.worstCaseMs]).toEqual([6, 3 * 2 * T + 2 * 300]);
    expect(result.measured.requests).toBe(6);
  });

  it('7. guards: a rate limit adds its queue wait; breaker, cache and telemetry add nothing', async () => {
    const a = new ScriptLLM('a', [{}, hang]);
    const chain = a
      .withRateLimit({ requestsPerMinute: 1, windowMs: 5_000, maxWait: 5_000 })
      .withCircuitBreaker()
      .withCache()
      .withTelemetry(new Telemetry());
    await chain.ask('fill the window');
    const result = await within(chain, [a]);
    expect([result.maxRequests, result.worstCaseMs]).toEqual([1, 5_000 + T]);
    expect(result.measured.ms).toBeGreaterThan(T); // it did wait in the queue
  });

  it('8. a user router without figures of its own: its routes count as tried in order', async () => {
    const a = new ScriptLLM('a', [hang]);
    const b = new ScriptLLM('b', [hang]);
    const router: LLMMiddleware = {
      name: 'router',
      routes: [b],
      wrapAsk: async (request, next, call) => {
        try {
          return await next(request);
        } catch {
          return call.via(b).ask(request);
        }
      },
    };
    const result = await within(a.use(router).withRetry({ maxRetries: 1, initialDelay: 0, maxDelay: 0 }), [
      a,
      b,
    ]);
    expect([result.maxRequests, result.worstCaseMs]).toEqual([4, 4 * T]);
  });

  it('9. a user layer contributes its own figures (best of three)', async () => {
    const a = new ScriptLLM('a', [hang]);
    const bestOf3: LLMMiddleware = {
      name: 'best-of-3',
      wrapAsk: async (request, next) =>
        (await Promise.all([next(request), next(request), next(request)]))[0]!,
      explain: (inner) => ({ ...inner, maxRequests: 3 * inner.maxRequests, children: [inner] }),
    };
    const result = await within(a.use(bestOf3), [a]);
    expect([result.maxRequests, result.worstCaseMs, result.measured.requests]).toEqual([3, T, 3]);
  });

  it('a stream is bounded only by a deadline', () => {
    const llm = new OpenAILLM('gpt-4o', { apiKey: 'k', timeout: 10_000 }).withRetry(1);
    expect(llm.explain({ stream: true })).toMatchObject({
      worstCaseMs: Infinity,
      reason: expect.stringMatching(/stream/),
    });
    expect(llm.explain({ stream: true, deadline: 60_000 }).worstCaseMs).toBe(60_000);
    expect(() => llm.explain({ deadline: -1 })).toThrow(RangeError);
  });
});
