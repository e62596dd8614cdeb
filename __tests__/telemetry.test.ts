import {
  AnthropicLLM,
  AuthenticationError,
  OpenAILLM,
  RateLimitedError,
  ServerError,
  Telemetry,
  TelemetryMiddleware,
} from '../lib/index.js';
import { FaultServer, faultModel } from '../lib/testing/index.js';
import { drain, ScriptLLM } from './helpers/script.js';

const boom = (): ServerError => new ServerError('boom', { provider: 'openai', model: 'm', status: 500 });

/** Runs a call under fake time, letting `ms` pass, and returns how it settled. */
async function run<T>(call: Promise<T>, ms = 1_000): Promise<{ value?: T; error?: unknown }> {
  const settled = call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await jest.advanceTimersByTimeAsync(ms);
  return settled;
}

describe('Telemetry', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('reports figures that match a scripted run exactly', async () => {
    const telemetry = new Telemetry();
    const primary = new ScriptLLM('primary', [
      { delayMs: 100, error: boom() },
      { delayMs: 100, error: boom() },
      { delayMs: 50 },
    ]);
    const backup = new ScriptLLM('backup', [{ delayMs: 30 }]);
    const llm = primary
      .withRetry({ maxRetries: 1, initialDelay: 10, backoffStrategy: 'fixed' })
      .withFallbacks([backup])
      .withCache()
      .withTelemetry(telemetry);
    const broken = new ScriptLLM('broken', [{ error: new AuthenticationError('no', { status: 401 }) }]);
    const slow = new ScriptLLM('slow', [{ hang: true }]);

    // 1: primary fails twice (100 ms each, 10 ms apart), the backup answers in 30 ms: 240 ms.
    expect((await run(llm.ask('a'))).value?.model).toBe('backup');
    // 2: the same prompt, from the cache: 0 ms, no tokens.
    expect((await run(llm.ask('a'))).value?.attempts).toEqual([]);
    // 3 and 4: the primary answers in 50 ms, by ask and by stream.
    await run(llm.ask('b'));
    const stream = llm.stream('c');
    await run(drain(stream));
    // 5: a failure in 0 ms on another chain observed by the same telemetry.
    expect((await run(broken.withTelemetry(telemetry).ask('x'))).error).toBeInstanceOf(AuthenticationError);
    // 6: a call the caller aborts is cancelled, neither a success nor a failure.
    const controller = new AbortController();
    const aborted = slow.withTelemetry(telemetry).ask('x', { signal: controller.signal });
    await jest.advanceTimersByTimeAsync(20);
    controller.abort(new Error('user left'));
    expect((await run(aborted)).error).toEqual(new Error('user left'));

    const metrics = telemetry.getMetrics();
    expect(metrics).toEqual({
      since: '2026-01-01T00:00:00.000Z',
      requests: 6,
      inFlight: 0,
      successes: 4,
      failures: 1,
      cancelled: 1,
      successRate: 0.8,
      latencyMs: { average: (240 + 0 + 50 + 50 + 0) / 5, p95: 240, max: 240, samples: 5 },
      tokens: { input: 3, output: 3, total: 6 },
      attempts: 7,
      retries: 1,
      fallbacks: 1,
      cache: { hits: 1, misses: 3, stale: 0, hitRate: 0.25 },
      rateLimit: { waits: 0, waitedMs: 0, rejections: 0 },
      circuitBreaker: { blocks: 0, opened: 0 },
      byProvider: { openai: { successes: 3, failures: 4 } },
      byModel: {
        primary: { successes: 2, failures: 2 },
        backup: { successes: 1, failures: 0 },
        broken: { successes: 0, failures: 1 },
        slow: { successes: 0, failures: 1 },
      },
      breakers: [],
      limiters: [],
    });
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
  });

  it('counts breaker blocks and openings, limiter rejections, and reports their state', async () => {
    const telemetry = new Telemetry();
    const primary = new ScriptLLM('primary', [{ error: boom() }]);
    const backup = new ScriptLLM('backup', [{}]);
    const llm = primary
      .withCircuitBreaker({ name: 'primary', failureThreshold: 1, recoveryTimeout: 60_000 })
      .withFallbacks([backup])
      .withRateLimit({ name: 'quota', requestsPerMinute: 2, maxWait: 0 })
      .withTelemetry(telemetry);

    expect((await run(llm.ask('1'))).value?.model).toBe('backup'); // the primary fails: its circuit opens
    expect((await run(llm.ask('2'))).value?.model).toBe('backup'); // refused by the open circuit
    expect((await run(llm.ask('3'))).error).toBeInstanceOf(RateLimitedError); // over 2 a minute
    expect(primary.calls).toBe(1);

    const metrics = telemetry.getMetrics();
    expect(metrics).toMatchObject({
      requests: 3,
      successes: 2,
      failures: 1,
      fallbacks: 2,
      rateLimit: { waits: 0, waitedMs: 0, rejections: 1 },
      circuitBreaker: { blocks: 1, opened: 1 },
      byModel: { primary: { successes: 0, failures: 1 }, backup: { successes: 2, failures: 0 } },
    });
    expect(metrics.breakers).toEqual([
      {
        llm: 'breaker(openai:primary)',
        name: 'primary',
        state: expect.objectContaining({ name: 'primary', state: 'open' }),
      },
    ]);
    expect(metrics.limiters).toEqual([
      {
        llm: expect.stringMatching(/^ratelimit\(fallback\(/),
        name: 'quota',
        state: expect.objectContaining({ name: 'quota', requestsInWindow: 2, remainingRequests: 0 }),
      },
    ]);
  });

  it('counts the time a call waited for the local rate limiter', async () => {
    const telemetry = new Telemetry();
    const llm = new ScriptLLM('m', [{}])
      .withRateLimit({ requestsPerMinute: 1, maxWait: 120_000 })
      .withTelemetry(telemetry);
    await run(llm.ask('1'), 0);
    await run(llm.ask('2'), 60_000);
    expect(telemetry.getMetrics().rateLimit).toEqual({ waits: 1, waitedMs: 60_000, rejections: 0 });
  });

  it('counts a call once when the same telemetry is attached twice in a chain', async () => {
    const telemetry = new Telemetry();
    const inner = new ScriptLLM('m', [{ error: boom() }, {}]);
    const llm = inner
      .withTelemetry(telemetry)
      .withRetry({ maxRetries: 1, initialDelay: 0 })
      .withTelemetry(telemetry);
    await run(llm.ask('Hi'));
    expect(telemetry.getMetrics()).toMatchObject({ requests: 1, successes: 1, attempts: 2, retries: 1 });
  });

  it('counts a stream the consumer leaves early as cancelled', async () => {
    const telemetry = new Telemetry();
    const llm = new ScriptLLM('m', [{ chunks: ['a', 'b', 'c'] }]).withTelemetry(telemetry);
    for await (const chunk of llm.stream('Hi')) if (chunk.text === 'a') break;
    expect(telemetry.getMetrics()).toMatchObject({
      requests: 1,
      successes: 0,
      failures: 0,
      cancelled: 1,
      inFlight: 0,
    });
  });

  it('keeps p95 over the most recent latencyWindow calls, average and max over all', async () => {
    const telemetry = new Telemetry({ latencyWindow: 3 });
    for (const ms of [500, 10, 20, 30, 40]) {
      await run(new ScriptLLM('m', [{ delayMs: ms }]).withTelemetry(telemetry).ask('Hi'));
    }
    expect(telemetry.getMetrics().latencyMs).toEqual({ average: 120, p95: 40, max: 500, samples: 3 });
  });

  it('starts over on reset(), and reports nulls before any call', async () => {
    const telemetry = new Telemetry();
    const llm = new ScriptLLM('m', [{}]).withTelemetry(telemetry);
    await run(llm.ask('Hi'));
    jest.setSystemTime(new Date('2026-02-01T00:00:00Z'));
    telemetry.reset();
    expect(telemetry.getMetrics()).toMatchObject({
      since: '2026-02-01T00:00:00.000Z',
      requests: 0,
      successRate: null,
      latencyMs: { average: null, p95: null, max: null, samples: 0 },
      cache: { hits: 0, misses: 0, stale: 0, hitRate: null },
      byModel: {},
    });
  });

  it('is a transparent, frozen wrapper that leaves the receiver unchanged', () => {
    const telemetry = new Telemetry();
    const inner = new ScriptLLM('m', [{}]).withRetry(2);
    const llm = inner.withTelemetry(telemetry);
    expect(llm.middleware).toBeInstanceOf(TelemetryMiddleware);
    expect(llm.describe()).toBe(inner.describe());
    expect(llm.model).toBe('m');
    expect(Object.isFrozen(llm)).toBe(true);
    expect(Object.isFrozen(telemetry)).toBe(true);
    expect(llm.inner).toBe(inner);
  });

  it('is typed: withTelemetry needs a Telemetry, getMetrics() is plain data', () => {
    const telemetry = new Telemetry();
    // @ts-expect-error a Telemetry is required
    expect(() => new ScriptLLM('m', [{}]).withTelemetry()).toThrow(TypeError);
    const rate: number | null = telemetry.getMetrics().successRate;
    // @ts-expect-error latencyMs is an object of figures, not a number
    const wrong: number = telemetry.getMetrics().latencyMs;
    expect([rate, wrong]).toBeDefined();
  });

  it('validates its options at construction', () => {
    expect(() => new Telemetry({ latencyWindow: 0 })).toThrow(RangeError);
    expect(() => new Telemetry({ latencyWindow: 0 })).toThrow(/`latencyWindow`.*0/);
    expect(() => new Telemetry({ tracing: 'yes' as never })).toThrow(/`tracing`/);
    expect(() => new ScriptLLM('m', [{}]).withTelemetry({} as never)).toThrow(TypeError);
    expect(() => new ScriptLLM('m', [{}]).withTelemetry({} as never)).toThrow(/takes a Telemetry/);
  });
});

describe('Telemetry on the wire', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await FaultServer.start();
  });
  afterAll(() => server.close());

  it('counts a retried, fallen-back chain of real SDK calls exactly', async () => {
    const telemetry = new Telemetry();
    const flaky = faultModel('gpt-4o-mini', { status: 503, fail_first: 3 });
    const down = faultModel('gpt-4o', { status: 500 });
    const primary = new OpenAILLM(flaky, { apiKey: 'test-key', baseURL: server.openaiBaseURL });
    const second = new OpenAILLM(down, { apiKey: 'test-key', baseURL: server.openaiBaseURL });
    const backup = new AnthropicLLM('claude-haiku-4-5', {
      apiKey: 'test-key',
      baseURL: server.anthropicBaseURL,
    });
    const llm = primary
      .withRetry({ maxRetries: 1, initialDelay: 1 })
      .withFallbacks([second, backup])
      .withTelemetry(telemetry);

    const first = await llm.ask('Hi'); // flaky ×2 (503), down ×1 (500), backup answers
    const stream = llm.stream('Hi'); // flaky: its third 503, then it answers
    await drain(stream);
    const second_ = await stream.finalReply();
    expect(first.provider).toBe('anthropic');
    expect(second_.model).toBe(flaky);

    const m = telemetry.getMetrics();
    expect(m).toMatchObject({
      requests: 2,
      successes: 2,
      failures: 0,
      successRate: 1,
      attempts: 6,
      retries: 2,
      fallbacks: 2,
      byProvider: { openai: { successes: 1, failures: 4 }, anthropic: { successes: 1, failures: 0 } },
      byModel: {
        [flaky]: { successes: 1, failures: 3 },
        [down]: { successes: 0, failures: 1 },
        'claude-haiku-4-5': { successes: 1, failures: 0 },
      },
    });
    expect(m.tokens.total).toBe(first.usage.totalTokens + second_.usage.totalTokens);
    expect(m.tokens.total).toBeGreaterThan(0);
    expect(m.latencyMs.samples).toBe(2);
    expect(server.hitCount(flaky)).toBe(4);
  });
});
