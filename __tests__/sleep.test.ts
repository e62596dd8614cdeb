import {
  CircuitBreaker,
  createEventBus,
  type LLM,
  OpenAILLM,
  RateLimiter,
  ResponseCache,
  TimeoutError,
} from '../lib/index.js';
import { MAX_TIMER_MS, setTimer, sleep } from '../lib/sleep.js';
import type { CacheLookup } from '../lib/guards/cache/store.js';
import { FaultServer } from '../lib/testing/index.js';
import { fakeTimersPerTest } from './helpers/script.js';

const HUGE = 2 ** 32; // past Node's 2³¹−1 ms limit: a plain setTimeout would fire after 1 ms

describe('setTimer', () => {
  fakeTimersPerTest();

  it('honours a delay past 2³¹−1 ms in chained timers, firing once at the end', () => {
    const fired = jest.fn();
    setTimer(fired, HUGE);
    jest.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(HUGE - MAX_TIMER_MS - 1);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('can be cleared in any of its chunks, and arms nothing for Infinity', () => {
    const fired = jest.fn();
    const timer = setTimer(fired, HUGE);
    jest.advanceTimersByTime(MAX_TIMER_MS + 5);
    timer.clear();
    jest.advanceTimersByTime(HUGE);
    expect(fired).not.toHaveBeenCalled();
    setTimer(fired, Infinity);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('sleep() waits the whole of a huge duration, and an abort still ends it at once', async () => {
    const controller = new AbortController();
    let done = false;
    const wait = sleep(HUGE, controller.signal).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(MAX_TIMER_MS + 1000);
    expect(done).toBe(false);
    controller.abort(new Error('stop'));
    await expect(wait).rejects.toThrow('stop');
  });
});

describe('huge durations that arm no timer', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a cache ttl and a breaker recoveryTimeout of 2³² ms last that long', async () => {
    const cache = new ResponseCache({ ttl: HUGE });
    const reply = {
      text: 'x',
      model: 'm',
      provider: 'openai',
      usage: {},
      finishReason: 'stop',
      raw: null,
      attempts: [],
    };
    cache._store('k', {} as never, reply as never);
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: HUGE });
    const failing = new OpenAILLM('m', { apiKey: 'k', baseURL: 'http://127.0.0.1:9' }).withCircuitBreaker(
      breaker,
    );
    await failing.ask('hi').catch(() => {});
    expect(breaker.state).toBe('open');
    jest.advanceTimersByTime(MAX_TIMER_MS + 1_000);
    // The in-process store answers synchronously.
    expect((cache._lookup('k') as CacheLookup | undefined)?.reply.text).toBe('x');
    expect(breaker.state).toBe('open');
    jest.advanceTimersByTime(HUGE - MAX_TIMER_MS);
    expect(cache._lookup('k')).toBeUndefined();
    expect(breaker.state).toBe('half_open');
  });
});

describe('huge durations on the wire', () => {
  let server: FaultServer;
  let timers: jest.SpiedFunction<typeof setTimeout>;
  beforeAll(async () => {
    server = await FaultServer.start();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.resetHits();
    timers = jest.spyOn(global, 'setTimeout');
  });
  afterEach(() => {
    // Node clamps a longer timer to 1 ms (with a TimeoutOverflowWarning): none may ever be armed.
    const clamped = timers.mock.calls.map((call) => call[1]).filter((ms) => !(Number(ms) <= MAX_TIMER_MS));
    timers.mockRestore();
    expect(clamped).toEqual([]);
  });

  const openai = (model: string, options: object = {}): LLM =>
    new OpenAILLM(model, { apiKey: 'k', baseURL: server.openaiBaseURL, ...options });

  it('timeout, deadline and stream timeouts of 2³² ms do not fire at once', async () => {
    const slow = openai('gpt-4o~latency=40');
    await expect(slow.ask('hi', { timeout: HUGE, deadline: HUGE })).resolves.toMatchObject({
      text: 'Hello from gpt-4o.',
    });
    const stream = openai('gpt-4o~first_chunk_delay=40').stream('hi', {
      timeout: HUGE,
      firstChunkTimeout: HUGE,
      idleTimeout: HUGE,
      deadline: HUGE,
    });
    await expect(stream.finalReply()).resolves.toMatchObject({ text: 'Hello from gpt-4o.' });
  });

  it('provider defaults of 2³² ms do not fire at once', async () => {
    const slow = openai('gpt-4o~latency=40', { timeout: HUGE, firstChunkTimeout: HUGE, idleTimeout: HUGE });
    await expect(slow.ask('hi')).resolves.toMatchObject({ text: 'Hello from gpt-4o.' });
    await expect(slow.stream('hi').finalReply()).resolves.toMatchObject({ text: 'Hello from gpt-4o.' });
  });

  it('a retry delay of 2³² ms is waited, not cut to 1 ms', async () => {
    const bus = createEventBus();
    const retrying = new Promise((resolve) => bus.on('retry', resolve));
    const llm = openai('gpt-4o~status=503')
      .withRetry({ maxRetries: 1, initialDelay: HUGE, maxDelay: 2 * HUGE, respectRetryAfter: false })
      .withEvents(bus);
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const call = llm.ask('hi', { signal: controller.signal });
    void call.catch(() => {});
    await retrying;
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(server.hitCount()).toBe(1); // still in its first backoff sleep: no retry yet
  });

  it("a limiter's windowMs and maxWait of 2³² ms queue a call without waking it every millisecond", async () => {
    let reads = 0;
    const now = (): number => (reads++, Date.now());
    const limiter = new RateLimiter({ requestsPerMinute: 1, windowMs: HUGE, maxWait: HUGE, now });
    await limiter.acquire();
    reads = 0;
    const controller = new AbortController();
    const queued = limiter.acquire(0, { signal: controller.signal });
    let settled = false;
    void queued.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const seen = { settled, reads };
    controller.abort(new Error('left the queue'));
    await expect(queued).rejects.toThrow('left the queue');
    expect(seen.settled).toBe(false);
    expect(seen.reads).toBeLessThan(5); // it sleeps; it does not wake (and read the clock) every millisecond
  });

  it('healthCheck({ timeout: 2³² }) waits for a slow provider', async () => {
    const slow = openai('gpt-4o', { defaultHeaders: { 'x-fault': 'latency=40' } });
    const [health] = await slow.healthCheck({ timeout: HUGE });
    expect(health).toMatchObject({ reachable: true });
  });

  it('deadline: Infinity is a RangeError, thrown before any timer is armed (no TimeoutOverflowWarning)', async () => {
    await expect(openai('gpt-4o').ask('hi', { deadline: Infinity })).rejects.toMatchObject({
      name: 'RangeError',
      message: '`deadline` must be a finite number of milliseconds ≥ 0, got Infinity',
    });
    expect(server.hitCount()).toBe(0);
  });

  it('a timeout that really passes still fires', async () => {
    const error = await openai('gpt-4o~latency=2000')
      .ask('hi', { timeout: 30 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
  });
});
