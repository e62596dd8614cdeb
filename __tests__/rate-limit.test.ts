import {
  createEventBus,
  type LLM,
  type LLMEvents,
  type LLMRequest,
  OpenAILLM,
  OverloadedError,
  RateLimitedError,
  RateLimiter,
  RateLimitMiddleware,
  RateLimitError,
} from '../lib/index.js';
import { pacingHoldMs, parseResetDuration } from '../lib/guards/rate-limit/headers.js';
import { approximateTokens, openaiCounter } from '../lib/guards/rate-limit/tokens.js';
import * as tokensModule from '../lib/guards/rate-limit/tokens.js';
import { estimateTokens } from '../lib/guards/rate-limit/estimate.js';
import { FnLLM, manualClock } from './helpers/guards.js';
import { seeded } from './helpers/script.js';

afterEach(() => {
  jest.useRealTimers();
});

async function settle<T>(promise: Promise<T>): Promise<T | unknown> {
  return promise.catch((error: unknown) => error);
}

/** Moves fake time forward in steps until every promise has settled. */
async function runUntilSettled(promises: readonly Promise<unknown>[], stepMs = 50): Promise<void> {
  let pending = promises.length;
  for (const p of promises) void p.finally(() => pending--).catch(() => {});
  for (let guard = 0; pending > 0; guard++) {
    if (guard > 100_000) throw new Error('calls never settled');
    await jest.advanceTimersByTimeAsync(stepMs);
  }
}

describe('RateLimiter', () => {
  it('answers canProceed from the window without reserving anything', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({
      requestsPerMinute: 2,
      tokensPerMinute: 100,
      windowMs: 1_000,
      now: clock.now,
    });
    expect(limiter.canProceed()).toEqual({ ok: true, waitMs: 0 });
    expect(limiter.canProceed()).toEqual({ ok: true, waitMs: 0 });
    await limiter.acquire(60);
    clock.advance(200);
    expect(limiter.canProceed(40)).toEqual({ ok: true, waitMs: 0 });
    expect(limiter.canProceed(41)).toEqual({ ok: false, waitMs: 800 });
    await limiter.acquire(10);
    expect(limiter.canProceed(0)).toEqual({ ok: false, waitMs: 800 }); // two requests in the window
    clock.advance(800);
    expect(limiter.canProceed(30)).toEqual({ ok: true, waitMs: 0 });
    expect(limiter.canProceed(101)).toEqual({ ok: false, waitMs: Infinity });
    expect(() => limiter.canProceed(-1)).toThrow(/`estimatedTokens`/);
  });

  it('never lets more requests or tokens through in any window than configured, under 1,000 concurrent callers', async () => {
    jest.useFakeTimers();
    const windowMs = 1_000;
    const requestsPerMinute = 40;
    const tokensPerMinute = 4_000;
    const random = seeded(7);
    const estimates = Array.from({ length: 1_000 }, () => 1 + Math.floor(random() * 300));
    const starts: { at: number; index: number; tokens: number }[] = [];
    const inner = new FnLLM('m', (_, request) => {
      const index = Number(request.messages[0]!.content);
      const tokens = estimates[index]! - Math.floor(random() * 20); // usage a little under the estimate
      starts.push({ at: Date.now(), index, tokens: Math.max(0, tokens) });
      return { usage: { inputTokens: tokens, outputTokens: 0, totalTokens: Math.max(0, tokens) } };
    });
    const limiter = new RateLimiter({
      requestsPerMinute,
      tokensPerMinute,
      windowMs,
      maxWait: 10 * 60_000,
      estimateTokens: ({ request }) => estimates[Number(request.messages[0]!.content)]!,
    });
    const llm = inner.withRateLimit(limiter);
    const calls = estimates.map((_, i) => llm.ask(String(i)));
    await runUntilSettled(calls);
    await Promise.all(calls);

    expect(starts).toHaveLength(1_000);
    expect(starts.map((s) => s.index)).toEqual(estimates.map((_, i) => i)); // first come, first served
    for (let j = 0; j < starts.length; j++) {
      const end = starts[j]!.at;
      const inWindow = starts.filter((s) => s.at > end - windowMs && s.at <= end);
      expect(inWindow.length).toBeLessThanOrEqual(requestsPerMinute);
      expect(inWindow.reduce((sum, s) => sum + s.tokens, 0)).toBeLessThanOrEqual(tokensPerMinute);
    }
    // …and it is not needlessly slow: the token limit, ~150 tokens a call, sets the pace.
    const span = starts[starts.length - 1]!.at - starts[0]!.at;
    expect(span).toBeLessThan(60_000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('refuses at once, with the wait it would have needed, a call that would wait longer than maxWait', async () => {
    const inner = new FnLLM('gpt-4o');
    const bus = createEventBus();
    const events: LLMEvents['rateLimited'][] = [];
    bus.on('rateLimited', (e) => events.push(e));
    const clock = manualClock();
    const llm = inner
      .withRateLimit({ requestsPerMinute: 1, windowMs: 1_000, maxWait: 500, now: clock.now })
      .withEvents(bus);
    await llm.ask('one');
    clock.advance(100);
    const error = await settle(llm.ask('two'));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({
      name: 'RateLimitedError',
      kind: 'rate_limited_locally',
      retryable: false,
      retryAfterMs: 900,
      provider: 'openai',
      model: 'gpt-4o',
    });
    expect((error as Error).message).toMatch(/would wait 900 ms, longer than maxWait \(500 ms\)/);
    expect(events).toEqual([{ waitMs: 900, rejected: true, model: 'gpt-4o' }]);
    expect(inner.calls).toBe(1);
    expect(error).not.toBeInstanceOf(RateLimitError);
  });

  it('never waits with maxWait 0', async () => {
    const llm = new FnLLM('m').withRateLimit({ requestsPerMinute: 1, maxWait: 0, now: manualClock().now });
    await llm.ask('one');
    await expect(llm.ask('two')).rejects.toMatchObject({
      kind: 'rate_limited_locally',
      retryAfterMs: 60_000,
    });
  });

  it('queues a call until the window has room, and reports the wait', async () => {
    jest.useFakeTimers();
    const starts: number[] = [];
    const inner = new FnLLM('m', () => {
      starts.push(Date.now());
      return {};
    });
    const bus = createEventBus();
    const events: LLMEvents['rateLimited'][] = [];
    bus.on('rateLimited', (e) => events.push(e));
    const llm = inner.withRateLimit({ requestsPerMinute: 2, windowMs: 1_000 }).withEvents(bus);
    const t0 = Date.now();
    await llm.ask('1');
    await jest.advanceTimersByTimeAsync(300);
    await llm.ask('2');
    const third = llm.ask('3');
    await jest.advanceTimersByTimeAsync(699);
    expect(starts).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    await third;
    expect(starts.map((t) => t - t0)).toEqual([0, 300, 1_000]);
    expect(events).toEqual([{ waitMs: 700, rejected: false, model: 'm' }]);
  });

  it('lets an aborted caller leave the queue at once, leaving no timer behind', async () => {
    jest.useFakeTimers();
    const inner = new FnLLM('m');
    const llm = inner.withRateLimit({ requestsPerMinute: 1, windowMs: 10_000 });
    await llm.ask('1');
    const controller = new AbortController();
    const queued = settle(llm.ask('2', { signal: controller.signal }));
    await jest.advanceTimersByTimeAsync(100);
    expect(llm.middleware.limiter.describeState().queued).toBe(1);
    const reason = new Error('user left');
    controller.abort(reason);
    expect(await queued).toBe(reason);
    expect(jest.getTimerCount()).toBe(0);
    expect(llm.middleware.limiter.describeState().queued).toBe(0);
    expect(inner.calls).toBe(1);
    const already = new AbortController();
    already.abort('gone');
    await expect(llm.ask('3', { signal: already.signal })).rejects.toBe('gone');
  });

  it('refuses at once a wait that would outlast the call’s deadline', async () => {
    const llm = new FnLLM('m').withRateLimit({ requestsPerMinute: 1, windowMs: 10_000 });
    await llm.ask('1');
    const started = Date.now();
    const error = await settle(llm.ask('2', { deadline: 500 }));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as Error).message).toMatch(/ms left before the call's deadline/);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('is not retried, and falls back', async () => {
    const primary = new FnLLM('primary');
    const onRetry = jest.fn();
    const limited = primary.withRateLimit({ requestsPerMinute: 1, maxWait: 0 });
    await limited.ask('1');
    const chain = limited
      .withRetry({ maxRetries: 3, initialDelay: 600_000, onRetry })
      .withFallbacks([new FnLLM('backup')]);
    expect((await chain.ask('2')).model).toBe('backup');
    expect(onRetry).not.toHaveBeenCalled();
    expect(primary.calls).toBe(1);
  });

  it('reconciles the token estimate with the usage the reply reports', async () => {
    const clock = manualClock();
    const estimateTokens = (): number => 800;
    const used = new FnLLM('m', () => ({ usage: { inputTokens: 50, outputTokens: 50, totalTokens: 100 } }));
    const a = used.withRateLimit({
      tokensPerMinute: 1_000,
      estimateTokens,
      maxWait: 0,
      now: clock.now,
    });
    await a.ask('1');
    expect(a.middleware.limiter.describeState().tokensInWindow).toBe(100);
    await a.ask('2'); // 100 + 800 fits
    expect(a.middleware.limiter.describeState().tokensInWindow).toBe(200);

    const silent = new FnLLM('m', () => ({ usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } }));
    const b = silent.withRateLimit({
      tokensPerMinute: 1_000,
      estimateTokens,
      maxWait: 0,
      now: clock.now,
    });
    await b.ask('1'); // no usage reported: the estimate stands
    expect(b.middleware.limiter.describeState().tokensInWindow).toBe(800);
    await expect(b.ask('2')).rejects.toBeInstanceOf(RateLimitedError);
  });

  it('keeps the estimate of a failed call', async () => {
    const llm = new FnLLM('m', () => ({ error: new OverloadedError('busy') })).withRateLimit({
      tokensPerMinute: 1_000,
      estimateTokens: () => 300,
    });
    await settle(llm.ask('1'));
    expect(llm.middleware.limiter.describeState()).toMatchObject({
      requestsInWindow: 1,
      tokensInWindow: 300,
    });
  });

  it('takes a slot for a stream before it starts and reconciles with its final usage', async () => {
    const clock = manualClock();
    const inner = new FnLLM('m', () => ({
      text: 'a b c',
      usage: { inputTokens: 5, outputTokens: 3, totalTokens: 8 },
    }));
    const llm = inner.withRateLimit({
      requestsPerMinute: 1,
      tokensPerMinute: 10_000,
      estimateTokens: () => 500,
      maxWait: 0,
      now: clock.now,
    });
    const seen: string[] = [];
    for await (const chunk of llm.stream('hi')) {
      seen.push(chunk.text);
      expect(llm.middleware.limiter.describeState().tokensInWindow).toBe(500);
    }
    expect(seen.join('')).toBe('a b c');
    expect(llm.middleware.limiter.describeState().tokensInWindow).toBe(8);
    const refused = llm.stream('again');
    await expect(refused.finalReply()).rejects.toBeInstanceOf(RateLimitedError);
    expect(inner.calls).toBe(1);
  });

  it('estimates tokens with gpt-tokenizer for OpenAI and an approximation for Anthropic when the limit is near', async () => {
    const seen: number[] = [];
    const probe = (provider: 'openai' | 'anthropic'): LLM => {
      // Half the limit (20) is below every call's upper bound: each is counted exactly.
      const limiter = new RateLimiter({ tokensPerMinute: 40, expectedOutputTokens: 30 });
      const inner = new FnLLM(
        'm',
        () => {
          seen.push(limiter.describeState().tokensInWindow);
          return {};
        },
        provider,
      );
      return inner.withRateLimit(limiter);
    };
    await probe('openai').ask('hello world', { maxTokens: 10 });
    await probe('openai').ask([{ role: 'user', content: 'hello world' }], {
      system: 'Be brief.',
      maxTokens: 10,
    });
    await probe('openai').ask('hello world');
    await probe('anthropic').ask('hello world', { maxTokens: 10 });
    await probe('anthropic').ask('안녕하세요', { maxTokens: 10 });
    // framing 3 + per message 3 + 'hello world' 2 (+ system 3 + 'Be brief.' 3) + output
    expect(seen).toEqual([18, 24, 38, 20, 21]);
  });

  it('reserves an upper bound (UTF-8 bytes + framing) while the window has ample room, and counts each request once', async () => {
    const exact = jest.spyOn(tokensModule, 'estimateRequestTokens');
    try {
      const limiter = new RateLimiter({ tokensPerMinute: 1_000 });
      const seen: number[] = [];
      const llm = new FnLLM('m', () => {
        seen.push(limiter.describeState().tokensInWindow);
        return {};
      }).withRateLimit(limiter);
      await llm.ask('hello world', { maxTokens: 10 }); // 3 + 3 + 11 bytes + 10 = 27 ≤ 500
      expect(seen).toEqual([27]);
      expect(exact).not.toHaveBeenCalled();
      // Past half the limit, counts are exact; a retried request is counted once.
      const tight = new RateLimiter({ tokensPerMinute: 50 }); // half (25) < the bound (27)
      let attempts = 0;
      const flaky = new FnLLM('m', () => {
        if (++attempts < 2)
          throw new OverloadedError('busy', { provider: 'openai', model: 'm', status: 529 });
        return {};
      })
        .withRateLimit(tight)
        .withRetry({ maxRetries: 1, initialDelay: 1 });
      await flaky.ask('hello world', { maxTokens: 10 });
      expect(attempts).toBe(2);
      expect(tight.describeState().tokensInWindow).toBe(18 + 2); // the failed attempt keeps its estimate; the answer its usage
      expect(exact).toHaveBeenCalledTimes(1);
    } finally {
      exact.mockRestore();
    }
  });

  it('counts a reused messages array afresh when the request differs (its tools are counted too)', async () => {
    const exact = jest.spyOn(tokensModule, 'estimateRequestTokens');
    try {
      const conversation = [{ role: 'user' as const, content: 'hello world' }];
      const tool = { name: 'lookup', description: 'look it up '.repeat(40), parameters: { type: 'object' } };
      const exactly = { provider: 'openai' as const, expectedOutputTokens: 0, room: -Infinity };
      const plain = Object.freeze({ messages: conversation, options: { maxTokens: 1 } });
      const withTools = Object.freeze({ messages: conversation, options: { maxTokens: 1, tools: [tool] } });
      const small = await estimateTokens(plain, exactly);
      const large = await estimateTokens(withTools, exactly);
      expect(large).toBeGreaterThan(small + 40);
      expect(await estimateTokens(withTools, exactly)).toBe(large); // the same request: counted once
      expect(exact).toHaveBeenCalledTimes(2);
    } finally {
      exact.mockRestore();
    }
  });

  it("counts a provider's constructor system prompt and default tools, as the provider sends them", async () => {
    // Unroutable on purpose: the limiter must refuse before any request.
    const system = 'You answer in the style of a very long style guide. '.repeat(60);
    const tool = { name: 'lookup', description: 'look it up '.repeat(40), parameters: { type: 'object' } };
    const make = (options: object) =>
      new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1', ...options });
    const long = { ...tool, description: 'look it up '.repeat(200) };
    const big = [{ system }, { tools: [0, 1].map((i) => ({ ...long, name: `t${i}` })) }, { maxTokens: 1000 }];
    for (const options of big) {
      const llm = make({ maxTokens: 10, ...options }).withRateLimit({ tokensPerMinute: 400 });
      await expect(llm.ask('hi')).rejects.toThrow(/can never fit in tokensPerMinute \(400\)/);
    }
    // Without them the call fits, and goes out (to fail on the unroutable address).
    const small = make({ maxTokens: 10 }).withRateLimit({ tokensPerMinute: 400 });
    await expect(small.ask('hi')).rejects.toMatchObject({ name: 'ConnectionError' });
    // A custom estimate sees the request as sent: the call's own system wins, tools merge by name.
    const seen: LLMRequest[] = [];
    const spy = ({ request }: { request: LLMRequest }) => (seen.push(request), 1);
    const llm = make({ system, tools: [tool] }).withRateLimit({ tokensPerMinute: 1e6, estimateTokens: spy });
    await llm.ask('hi', { system: 'Be brief.', tools: [{ ...tool, description: 'mine' }] }).catch(() => {});
    expect(seen[0]!.options.system).toBe('Be brief.');
    expect(seen[0]!.options.tools).toEqual([{ ...tool, description: 'mine' }]);
    await llm.ask('hi').catch(() => {});
    expect(seen[1]!.options.system).toBe(system);
    expect(seen[1]!.options.tools).toEqual([tool]);
  });

  it('counts with o200k_base and treats special-token text as plain text', async () => {
    const count = await openaiCounter();
    expect(count('hello world')).toBe(2);
    expect(count('<|endoftext|>')).toBeGreaterThan(1);
    expect(approximateTokens('hello world')).toBe(4);
    expect(approximateTokens('日本語')).toBe(3);
    expect(approximateTokens('')).toBe(0);
  });

  it('uses a custom estimateTokens, and rejects a bad estimate', async () => {
    const estimateTokens = jest.fn(() => 42);
    const llm = new FnLLM('gpt-x').withRateLimit({ tokensPerMinute: 1_000, estimateTokens });
    await llm.ask('hi');
    expect(estimateTokens).toHaveBeenCalledWith(
      expect.objectContaining({ provider: 'openai', model: 'gpt-x' }),
    );
    const bad = new FnLLM('m').withRateLimit({ tokensPerMinute: 1_000, estimateTokens: () => NaN });
    await expect(bad.ask('hi')).rejects.toThrow(/`estimateTokens` must return a finite number ≥ 0, got NaN/);
  });

  it('does not estimate tokens when only requests are limited', async () => {
    const estimateTokens = jest.fn(() => 1);
    await new FnLLM('m').withRateLimit({ requestsPerMinute: 5, estimateTokens }).ask('hi');
    expect(estimateTokens).not.toHaveBeenCalled();
  });

  describe('provider pacing', () => {
    it('reads OpenAI reset durations', () => {
      expect(parseResetDuration('1s')).toBe(1_000);
      expect(parseResetDuration('6m0s')).toBe(360_000);
      expect(parseResetDuration('20ms')).toBe(20);
      expect(parseResetDuration('1.5s')).toBe(1_500);
      expect(parseResetDuration('1h2m3s')).toBe(3_723_000);
      expect(parseResetDuration('soon')).toBeUndefined();
      expect(parseResetDuration('1s later')).toBeUndefined();
      expect(parseResetDuration('')).toBeUndefined();
    });

    it('holds until the latest reset of a used-up limit', () => {
      const now = Date.parse('2025-01-01T00:00:00Z');
      const openai = new Headers({
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '1.5s',
        'x-ratelimit-remaining-tokens': '100',
        'x-ratelimit-reset-tokens': '6m0s',
      });
      expect(pacingHoldMs('openai', openai, now)).toBe(1_500);
      openai.set('x-ratelimit-remaining-tokens', '0');
      expect(pacingHoldMs('openai', openai, now)).toBe(360_000);
      expect(pacingHoldMs('openai', new Headers({ 'x-ratelimit-remaining-requests': '5' }), now)).toBe(0);
      const anthropic = new Headers({
        'anthropic-ratelimit-requests-remaining': '10',
        'anthropic-ratelimit-requests-reset': '2025-01-01T00:00:09Z',
        'anthropic-ratelimit-output-tokens-remaining': '0',
        'anthropic-ratelimit-output-tokens-reset': '2025-01-01T00:00:02Z',
      });
      expect(pacingHoldMs('anthropic', anthropic, now)).toBe(2_000);
      expect(pacingHoldMs('openai', anthropic, now)).toBe(0);
    });

    it('holds new and queued calls until the provider’s limit resets', async () => {
      jest.useFakeTimers();
      const t0 = Date.now();
      const starts: number[] = [];
      const exhausted = new Headers({
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '2s',
      });
      const inner = new FnLLM('m', (n, _, ctx) => {
        starts.push(Date.now() - t0);
        if (n === 2) ctx.onHeaders?.('openai', exhausted);
        return {};
      });
      const llm = inner.withRateLimit({ requestsPerMinute: 2, windowMs: 1_000 });
      await llm.ask('1');
      // 2 fits now; 3 and 4 queue for t = 1000, when 1 and 2 leave the window.
      const queued = [llm.ask('2'), llm.ask('3'), llm.ask('4')];
      await runUntilSettled(queued);
      // Call 2 saw remaining 0 with a 2 s reset: the queued calls moved back to t = 2000.
      expect(starts).toEqual([0, 0, 2_000, 2_000]);
      expect(llm.middleware.limiter.describeState().heldForMs).toBe(0);
    });

    it('follows only the headers of the provider it fronts, and ignores them when told to', async () => {
      const exhausted = new Headers({
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '5s',
      });
      const other = new FnLLM('m', (_, __, ctx) => {
        ctx.onHeaders?.('anthropic', exhausted);
        return {};
      });
      const a = other.withRateLimit({ requestsPerMinute: 100 });
      await a.ask('1');
      expect(a.middleware.limiter.describeState().heldForMs).toBe(0);

      const own = new FnLLM('m', (_, __, ctx) => {
        expect(ctx.onHeaders).toBeUndefined();
        return {};
      });
      await own.withRateLimit({ requestsPerMinute: 100, respectProviderHeaders: false }).ask('1');
    });

    it('hands headers to every limiter of the chain', async () => {
      const exhausted = new Headers({
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '5s',
      });
      const inner = new FnLLM('m', (_, __, ctx) => {
        ctx.onHeaders?.('openai', exhausted);
        return {};
      });
      const innerLimiter = new RateLimiter({ requestsPerMinute: 100 });
      const outerLimiter = new RateLimiter({ requestsPerMinute: 100 });
      await inner.withRateLimit(innerLimiter).withRateLimit(outerLimiter).ask('1');
      expect(innerLimiter.describeState().heldForMs).toBeGreaterThan(4_000);
      expect(outerLimiter.describeState().heldForMs).toBeGreaterThan(4_000);
      expect(innerLimiter.canProceed()).toMatchObject({ ok: false });
    });

    it('refuses a held call that would outwait maxWait', async () => {
      const limiter = new RateLimiter({ requestsPerMinute: 100, maxWait: 1_000, now: manualClock().now });
      limiter.observeHeaders(
        'openai',
        new Headers({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1m0s' }),
      );
      await expect(limiter.acquire()).rejects.toMatchObject({ kind: 'rate_limited_locally' });
      const { ok, waitMs } = limiter.canProceed();
      expect(ok).toBe(false);
      expect(waitMs).toBe(60_000);
      expect(limiter.describeState().heldForMs).toBe(60_000);
    });
  });

  it('can be used outside a chain with acquire() and a ticket', async () => {
    jest.useFakeTimers();
    const limiter = new RateLimiter({ requestsPerMinute: 1, tokensPerMinute: 1_000, windowMs: 1_000 });
    const first = await limiter.acquire(900);
    expect(first.waitedMs).toBe(0);
    first.reconcile(100);
    const second = limiter.acquire(850);
    await jest.advanceTimersByTimeAsync(1_000);
    expect((await second).waitedMs).toBe(1_000);
    expect(() => first.reconcile(-5)).toThrow(/`tokens`/);
    await expect(limiter.acquire(2_000)).rejects.toThrow(/can never fit in tokensPerMinute \(1000\)/);
  });

  it('shares one limiter between LLMs on purpose, and keeps one made from options private', async () => {
    const shared = new RateLimiter({ requestsPerMinute: 2, maxWait: 0 });
    await new FnLLM('a').withRateLimit(shared).ask('1');
    await new FnLLM('b').withRateLimit(shared).ask('1');
    await expect(new FnLLM('c').withRateLimit(shared).ask('1')).rejects.toBeInstanceOf(RateLimitedError);
    const options = { requestsPerMinute: 1, maxWait: 0 };
    const a = new FnLLM('a').withRateLimit(options);
    const b = new FnLLM('b').withRateLimit(options);
    expect(a.middleware.limiter).not.toBe(b.middleware.limiter);
    await a.ask('1');
    await b.ask('1');
  });

  it('is an immutable wrapper that leaves its receiver unchanged', () => {
    const inner = new FnLLM('gpt-4o');
    const llm = inner.withRateLimit({ requestsPerMinute: 60 });
    expect(llm.middleware).toBeInstanceOf(RateLimitMiddleware);
    expect(llm.describe()).toBe('ratelimit(openai:gpt-4o)');
    expect(Object.isFrozen(llm)).toBe(true);
    expect(Object.isFrozen(llm.middleware.limiter)).toBe(true);
    expect(Object.isFrozen(llm.middleware.limiter.options)).toBe(true);
    expect(llm.middleware.limiter.options).toMatchObject({
      windowMs: 60_000,
      maxWait: 30_000,
      expectedOutputTokens: 1024,
    });
    expect(llm.inner).toBe(inner);
    expect(inner.describe()).toBe('openai:gpt-4o');
    expect(llm.middleware.limiter.describeState()).toEqual({
      name: 'rate-limiter',
      requestsPerMinute: 60,
      tokensPerMinute: undefined,
      windowMs: 60_000,
      requestsInWindow: 0,
      tokensInWindow: 0,
      remainingRequests: 60,
      remainingTokens: undefined,
      queued: 0,
      heldForMs: 0,
    });
  });

  it('types its public API', async () => {
    const llm = new FnLLM('m');
    // @ts-expect-error requestsPerMinute is a number
    expect(() => llm.withRateLimit({ requestsPerMinute: '60' })).toThrow(TypeError);
    // @ts-expect-error withRateLimit needs a limiter or options
    expect(() => llm.withRateLimit()).toThrow(TypeError);
    const limiter = new RateLimiter({ requestsPerMinute: 1 });
    const check: { ok: boolean; waitMs: number } = limiter.canProceed(10);
    expect(check.ok).toBe(true);
    // @ts-expect-error estimatedTokens is a number
    expect(() => limiter.canProceed('10')).toThrow(TypeError);
  });

  it('validates its options when the LLM is built', () => {
    const llm = new FnLLM('m');
    expect(() => llm.withRateLimit({})).toThrow(
      new TypeError('RateLimiter needs `requestsPerMinute`, `tokensPerMinute` or both, got neither'),
    );
    expect(() => llm.withRateLimit({ requestsPerMinute: 0 })).toThrow(
      new RangeError('`requestsPerMinute` must be an ≥ 1 integer, got 0'),
    );
    expect(() => llm.withRateLimit({ tokensPerMinute: 1.5 })).toThrow(/`tokensPerMinute`.*1\.5/);
    expect(() => llm.withRateLimit({ requestsPerMinute: 1, windowMs: 0 })).toThrow(/`windowMs`.*0/);
    expect(() => llm.withRateLimit({ requestsPerMinute: 1, maxWait: -1 })).toThrow(/`maxWait`.*-1/);
    expect(() => llm.withRateLimit({ requestsPerMinute: 1, maxWait: Infinity })).toThrow(RangeError);
    expect(() => llm.withRateLimit({ requestsPerMinute: 1, expectedOutputTokens: -1 })).toThrow(
      /`expectedOutputTokens`/,
    );
    expect(() => llm.withRateLimit({ requestsPerMinute: 1, estimateTokens: 3 as never })).toThrow(
      /`estimateTokens`/,
    );
    expect(() => llm.withRateLimit({ requestsPerMinute: 1, respectProviderHeaders: 'yes' as never })).toThrow(
      /`respectProviderHeaders`/,
    );
    expect(() => llm.withRateLimit(undefined as never)).toThrow(
      /withRateLimit takes a RateLimiter or RateLimiterOptions, got undefined/,
    );
  });
});
