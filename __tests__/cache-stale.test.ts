/**
 * Stale-if-error (DESIGN §11) over the real OpenAI SDK against the fault server. Each fault model
 * uses `fail_first=1`: after `server.resetHits()` its next request fails, the one after succeeds —
 * so one model string (one cache key) answers, then fails, on demand. Only `Date` is faked (the
 * cache's clock); sockets and timers are real.
 */
import {
  ContentFilterError,
  createEventBus,
  type LLM,
  OpenAILLM,
  ResponseCache,
  ServerError,
  Telemetry,
} from '../lib/index.js';
import { FaultServer, type FaultSpec, faultModel } from '../lib/testing/index.js';
import { drain } from './helpers/script.js';

const TTL = 60_000;
const STALE = 10 * 60_000;
const ONLY_DATE = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

describe('withCache({ staleIfError })', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await FaultServer.start();
  });
  afterAll(() => server.close());
  beforeEach(() => jest.useFakeTimers({ doNotFake: [...ONLY_DATE], now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const openai = (model: string): LLM =>
    new OpenAILLM(model, { apiKey: 'test-key', baseURL: server.openaiBaseURL });

  /** A model whose next request (after a reset) fails with `fault`, and the one after answers. */
  const flaky = (fault: FaultSpec): string =>
    faultModel('gpt-4o-mini', { ...fault, fail_first: 1, chunks: 3 });

  /** Fills the cache through `llm` (the first request fails, the second answers), then expires it. */
  async function primeAndExpire(llm: LLM, by = TTL): Promise<string> {
    server.resetHits();
    await expect(llm.ask('Hi')).rejects.toBeDefined();
    const live = await llm.ask('Hi');
    expect(live.cached).toBeUndefined();
    jest.setSystemTime(Date.now() + by);
    server.resetHits(); // the next request fails again
    return live.text;
  }

  it('ask: serves the expired reply, marked stale, when the live call fails with a fallback error', async () => {
    const model = flaky({ status: 500 });
    const cache = new ResponseCache({ ttl: TTL, staleIfError: STALE });
    const telemetry = new Telemetry();
    const bus = createEventBus();
    const stale: unknown[] = [];
    bus.on('cacheStale', (e) => stale.push(e.error));
    const llm = openai(model).withCache(cache).withEvents(bus).withTelemetry(telemetry);
    const text = await primeAndExpire(llm, TTL + 1);

    const reply = await llm.ask('Hi');
    expect(reply.text).toBe(text);
    expect(reply.cached).toBe('stale');
    expect(reply.attempts).toHaveLength(1);
    expect(reply.attempts[0]!.outcome).toBe('error');
    expect(reply.attempts[0]!.error).toBeInstanceOf(ServerError);
    expect(stale).toHaveLength(1);
    expect(stale[0]).toBeInstanceOf(ServerError);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 3, stale: 1 });
    expect(telemetry.getMetrics().cache).toMatchObject({ stale: 1, misses: 3, hits: 0 });
    expect(telemetry.getMetrics().successes).toBe(2);
  });

  it('ask: a fresh hit is marked hit and makes no request', async () => {
    const model = flaky({ status: 500 });
    const llm = openai(model).withCache({ ttl: TTL, staleIfError: STALE });
    server.resetHits();
    await expect(llm.ask('Hi')).rejects.toBeInstanceOf(ServerError);
    await llm.ask('Hi');
    const hit = await llm.ask('Hi');
    expect(hit.cached).toBe('hit');
    expect(server.hitCount(model)).toBe(2);
  });

  it('ask: serves stale through a RetryError and a FallbackError of such errors', async () => {
    const model = flaky({ status: 503 });
    const other = faultModel('gpt-4o', { status: 500, fail_first: 1 });
    const llm = openai(model)
      .withRetry({ maxRetries: 0 })
      .withFallbacks([openai(other)])
      .withCache({ ttl: TTL, staleIfError: STALE });
    server.resetHits();
    // primary fails, fallback fails: FallbackError; then both answer; then both fail again.
    await expect(llm.ask('Hi')).rejects.toMatchObject({ name: 'FallbackError' });
    const live = await llm.ask('Hi');
    jest.setSystemTime(Date.now() + TTL);
    server.resetHits();
    const reply = await llm.ask('Hi');
    expect(reply).toMatchObject({ text: live.text, cached: 'stale' });
    expect(reply.attempts.map((a) => a.outcome)).toEqual(['error', 'error']);

    const retried = openai(flaky({ status: 500 })).withRetry({ maxRetries: 0, initialDelay: 1 });
    const viaRetry = retried.withCache({ ttl: TTL, staleIfError: STALE });
    const text = await primeAndExpire(viaRetry);
    expect(await viaRetry.ask('Hi')).toMatchObject({ text, cached: 'stale' });
  });

  it('ask: an entry expired past its staleIfError window is not served', async () => {
    const llm = openai(flaky({ status: 500 })).withCache({ ttl: TTL, staleIfError: STALE });
    await primeAndExpire(llm, TTL + STALE);
    await expect(llm.ask('Hi')).rejects.toBeInstanceOf(ServerError);
  });

  it('ask: staleIfError 0 (the default) serves nothing stale', async () => {
    const llm = openai(flaky({ status: 500 })).withCache({ ttl: TTL });
    await primeAndExpire(llm, TTL);
    await expect(llm.ask('Hi')).rejects.toBeInstanceOf(ServerError);
  });

  it('ask: an error a fallback would not handle (content filter) is not answered stale', async () => {
    const llm = openai(flaky({ error: 'content_filter' })).withCache({ ttl: TTL, staleIfError: STALE });
    await primeAndExpire(llm);
    await expect(llm.ask('Hi')).rejects.toBeInstanceOf(ContentFilterError);
  });

  it('ask: never after the caller aborts', async () => {
    const llm = openai(flaky({ hang: true })).withCache({ ttl: TTL, staleIfError: STALE });
    server.resetHits();
    const model = flaky({ hang: true });
    const first = new AbortController();
    const warm = llm.ask('Hi', { signal: first.signal });
    while (server.hitCount(model) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    first.abort(new Error('left'));
    await expect(warm).rejects.toThrow('left');
    await llm.ask('Hi');
    jest.setSystemTime(Date.now() + TTL);
    server.resetHits();
    const controller = new AbortController();
    const call = llm.ask('Hi', { signal: controller.signal });
    while (server.hitCount(model) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('caller left'));
    await expect(call).rejects.toThrow('caller left');
  });

  it('stream: a stream failing before its first chunk streams the stale reply', async () => {
    const cache = new ResponseCache({ ttl: TTL, staleIfError: STALE });
    const llm = openai(flaky({ status: 500 })).withCache(cache);
    const text = await primeAndExpire(llm);
    const stream = llm.stream('Hi');
    const { chunks, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(chunks.join('')).toBe(text);
    const reply = await stream.finalReply();
    expect(reply.cached).toBe('stale');
    expect(reply.attempts.map((a) => a.outcome)).toEqual(['error']);
    expect(cache.stats().stale).toBe(1);
  });

  it('stream: a stream cut after its first chunk is not replaced', async () => {
    const llm = openai(flaky({ drop_after: 1 })).withCache({ ttl: TTL, staleIfError: STALE });
    server.resetHits();
    await drain(llm.stream('Hi')); // cut: nothing stored
    const live = await llm.ask('Hi');
    jest.setSystemTime(Date.now() + TTL);
    server.resetHits();
    const { chunks, error } = await drain(llm.stream('Hi'));
    expect(error).toBeDefined();
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.join('')).not.toBe(live.text);
  });

  it('stream: past the window, or on a non-fallback error, the failure stands', async () => {
    const expired = openai(flaky({ status: 500 })).withCache({ ttl: TTL, staleIfError: STALE });
    await primeAndExpire(expired, TTL + STALE + 1);
    expect((await drain(expired.stream('Hi'))).error).toBeInstanceOf(ServerError);

    const filtered = openai(flaky({ error: 'content_filter' })).withCache({ ttl: TTL, staleIfError: STALE });
    await primeAndExpire(filtered);
    expect((await drain(filtered.stream('Hi'))).error).toBeInstanceOf(ContentFilterError);
  });

  it('rejects a bad staleIfError, naming it', () => {
    expect(() => new ResponseCache({ staleIfError: -1 })).toThrow(/staleIfError/);
  });
});
