import {
  ContentFilterError,
  ContextLengthError,
  createEventBus,
  FallbackError,
  fallsBackByDefault,
  type LLM,
  OverloadedError,
  RetryError,
  ServerError,
  TimeoutError,
} from '../lib/index.js';
import { fakeTimersPerTest, ScriptLLM, settle } from './helpers/script.js';

const down = (): ServerError => new ServerError('down', { status: 503 });

fakeTimersPerTest();

describe('withFallbacks', () => {
  it('tries the LLMs in order and answers from the first that succeeds', async () => {
    const a = new ScriptLLM('a', [{ error: down() }]);
    const b = new ScriptLLM('b', [{ error: down() }]);
    const c = new ScriptLLM('c', [{ chunks: ['from c'] }]);
    const { value } = await settle(a.withFallbacks([b, c]).ask('hi'));
    expect(value?.text).toBe('from c');
    expect(value?.model).toBe('c');
    expect(value?.attempts.map((x) => `${x.model}:${x.outcome}`)).toEqual([
      'a:error',
      'b:error',
      'c:success',
    ]);
  });

  it('throws FallbackError with every error, in order, when all fail', async () => {
    const errors = [down(), new OverloadedError('busy'), new TimeoutError('slow')];
    const llms = errors.map((error, i) => new ScriptLLM(`m${i}`, [{ error }]));
    const { error } = await settle(llms[0]!.withFallbacks(llms.slice(1)).ask('hi'));
    expect(error).toBeInstanceOf(FallbackError);
    expect((error as FallbackError).errors).toEqual(errors);
    expect((error as FallbackError).attempts).toHaveLength(3);
    expect((error as FallbackError).kind).toBe('fallback_exhausted');
  });

  it('re-throws an error that does not match the condition, as it is', async () => {
    const refused = new ContentFilterError('policy');
    const a = new ScriptLLM('a', [{ error: refused }]);
    const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
    const { error } = await settle(a.withFallbacks([b]).ask('hi'));
    expect(error).toBe(refused);
    expect(b.calls).toBe(0);
  });

  it('does not fall back on errors the library did not make', async () => {
    const bug = new RangeError('bug');
    const a = new ScriptLLM('a', [{ error: bug }]);
    const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
    await expect(settle(a.withFallbacks([b]).ask('hi'))).resolves.toEqual({ error: bug });
  });

  it('lets fallbackCondition replace the default', async () => {
    const a = new ScriptLLM('a', [{ error: new ContextLengthError('too long') }]);
    const small = new ScriptLLM('small', [{ chunks: ['short'] }]);
    const chain = a.withFallbacks([small], { fallbackCondition: (e) => e instanceof ContextLengthError });
    expect((await settle(chain.ask('hi'))).value?.text).toBe('short');

    const other = new ScriptLLM('a', [{ error: down() }]);
    const { error } = await settle(
      other.withFallbacks([small], { fallbackCondition: (e) => e instanceof ContextLengthError }).ask('hi'),
    );
    expect(error).toBeInstanceOf(ServerError);
  });

  it('calls onFallback(error, next) with exactly what the failed LLM threw, before next is tried', async () => {
    const a = new ScriptLLM('a', [{ error: down() }]);
    const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
    const retried = a.withRetry({ maxRetries: 1, initialDelay: 1 });
    const seen: Array<[unknown, LLM, number]> = [];
    await settle(
      retried
        .withFallbacks([b], { onFallback: (error, next) => void seen.push([error, next, b.calls]) })
        .ask('hi'),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toBeInstanceOf(RetryError);
    expect(seen[0]![1]).toBe(b);
    expect(seen[0]![2]).toBe(0);
  });

  it('never lets a throwing onFallback change the outcome', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const a = new ScriptLLM('a', [{ error: down() }]);
    const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
    const chain = a.withFallbacks([b], {
      onFallback: () => {
        throw new Error('logger down');
      },
    });
    expect((await settle(chain.ask('hi'))).value?.text).toBe('ok');
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('emits fallback events naming both LLMs', async () => {
    const bus = createEventBus();
    const seen: string[] = [];
    bus.on('fallback', (e) => seen.push(`${e.from} -> ${e.to}`));
    const a = new ScriptLLM('a', [{ error: down() }]);
    const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
    await settle(a.withFallbacks([b]).withEvents(bus).ask('hi'));
    expect(seen).toEqual(['openai:a -> openai:b']);
  });

  describe('composition', () => {
    it('a.withRetry(2).withFallbacks([b]) retries a three times, then falls back to b once', async () => {
      const a = new ScriptLLM('a', [{ error: down() }]);
      const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
      const onFallback = jest.fn();
      const chain = a.withRetry({ maxRetries: 2, initialDelay: 1 }).withFallbacks([b], { onFallback });
      const { value } = await settle(chain.ask('hi'));
      expect(value?.model).toBe('b');
      expect([a.calls, b.calls]).toEqual([3, 1]);
      expect(onFallback).toHaveBeenCalledTimes(1);
      expect(chain.describe()).toBe('fallback(retry(openai:a ×3), openai:b)');
    });

    it('a.withFallbacks([b]).withRetry(2) retries the whole chain: [a, b, a, b, a, b]', async () => {
      const a = new ScriptLLM('a', [{ error: down() }]);
      const b = new ScriptLLM('b', [{ error: down() }]);
      const chain = a.withFallbacks([b]).withRetry({ maxRetries: 2, initialDelay: 1 });
      const { error } = await settle(chain.ask('hi'));
      expect(error).toBeInstanceOf(RetryError);
      expect((error as RetryError).lastError).toBeInstanceOf(FallbackError);
      expect((error as RetryError).attempts.map((x) => x.model)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
      expect([a.calls, b.calls]).toEqual([3, 3]);
      expect(chain.describe()).toBe('retry(fallback(openai:a, openai:b) ×3)');
    });

    it('keeps each LLM its own retry tuning', async () => {
      const a = new ScriptLLM('a', [{ error: down() }]);
      const b = new ScriptLLM('b', [{ error: down() }]);
      const c = new ScriptLLM('c', [{ error: down() }]);
      const chain = a
        .withRetry({ maxRetries: 3, initialDelay: 1 })
        .withFallbacks([b.withRetry({ maxRetries: 1, initialDelay: 1 }), c]);
      const { error } = await settle(chain.ask('hi'));
      expect(error).toBeInstanceOf(FallbackError);
      expect([a.calls, b.calls, c.calls]).toEqual([4, 2, 1]);
    });

    it('nests to any depth', async () => {
      const a = new ScriptLLM('a', [{ error: down() }]);
      const b = new ScriptLLM('b', [{ error: down() }]);
      const c = new ScriptLLM('c', [{ error: down() }]);
      const d = new ScriptLLM('d', [{ chunks: ['deep'] }]);
      const chain = a
        .withFallbacks([b])
        .withRetry({ maxRetries: 1, initialDelay: 1 })
        .withFallbacks([c.withFallbacks([d])]);
      const { value } = await settle(chain.ask('hi'));
      expect(value?.text).toBe('deep');
      expect(value?.attempts.map((x) => x.model)).toEqual(['a', 'b', 'a', 'b', 'c', 'd']);
      expect(chain.describe()).toBe(
        'fallback(retry(fallback(openai:a, openai:b) ×2), fallback(openai:c, openai:d))',
      );
    });
  });

  it('goes straight to the next fallback when a Retry-After outlasts the deadline', async () => {
    const a = new ScriptLLM('a', [{ error: new OverloadedError('busy', { retryAfterMs: 30_000 }) }]);
    const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
    const started = Date.now();
    const { value } = await settle(a.withRetry(3).withFallbacks([b]).ask('hi', { deadline: 5000 }));
    expect(value?.model).toBe('b');
    expect(Date.now() - started).toBe(0);
    expect(a.calls).toBe(1);
  });

  it('tries no fallback after the caller aborts', async () => {
    const controller = new AbortController();
    const a = new ScriptLLM('a', [{ hang: true }]);
    const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
    const pending = a.withFallbacks([b]).ask('hi', { signal: controller.signal });
    controller.abort('gone');
    await expect(pending).rejects.toBe('gone');
    expect(b.calls).toBe(0);
  });

  it('tries no fallback once the deadline has passed', async () => {
    const a = new ScriptLLM('a', [{ hang: true }]);
    const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
    const { error } = await settle(a.withFallbacks([b]).ask('hi', { deadline: 100 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(b.calls).toBe(0);
  });

  describe('construction', () => {
    const a = new ScriptLLM('a', [{ chunks: ['ok'] }]);
    it('rejects an empty list, a non-LLM and a bad callback, naming them', () => {
      expect(() => a.withFallbacks([])).toThrow(
        '`fallbacks` must be a non-empty array of LLMs, got an array of 0',
      );
      expect(() => a.withFallbacks([{ model: 'x' } as never])).toThrow(
        '`fallbacks[0]` must be an LLM, got an object',
      );
      expect(() => a.withFallbacks(['gpt-4o' as never])).toThrow(TypeError);
      expect(() => a.withFallbacks([a], { onFallback: 1 as never })).toThrow(
        '`onFallback` must be a function, got 1',
      );
      expect(() => a.withFallbacks([a], { onInterrupt: 'later' as never })).toThrow(RangeError);
    });

    it('leaves the receiver unchanged and exposes inner and fallbacks', () => {
      const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
      const chain = a.withFallbacks([b]);
      expect(chain.inner).toBe(a);
      expect(chain.middleware.fallbacks).toEqual([b]);
      expect(chain.model).toBe('a');
      expect(Object.isFrozen(chain)).toBe(true);
      expect(Object.isFrozen(chain.middleware.fallbacks)).toBe(true);
      expect(a.describe()).toBe('openai:a');
    });
  });
});

describe('fallsBackByDefault', () => {
  it('does not fall back on an exhausted retry of a ContentFilterError: a RetryError falls back as its lastError', async () => {
    const refused = new ContentFilterError('policy');
    const a = new ScriptLLM('a', [{ error: refused }]);
    const b = new ScriptLLM('b', [{ chunks: ['ok'] }]);
    const retried = a.withRetry({ maxRetries: 1, initialDelay: 1, retryOn: [ContentFilterError] });
    const { error } = await settle(retried.withFallbacks([b]).ask('hi'));
    expect(error).toBeInstanceOf(RetryError);
    expect((error as RetryError).lastError).toBe(refused);
    expect(a.calls).toBe(2);
    expect(b.calls).toBe(0);
  });

  it('still falls back on an exhausted retry of a transient error, and on a FallbackError', () => {
    expect(fallsBackByDefault(new RetryError([down()], []))).toBe(true);
    expect(fallsBackByDefault(new RetryError([new ContentFilterError('policy')], []))).toBe(false);
    expect(fallsBackByDefault(new RetryError([new RetryError([new ContentFilterError('p')], [])], []))).toBe(
      false,
    );
    expect(fallsBackByDefault(new FallbackError([new ContentFilterError('policy')], []))).toBe(true);
    expect(fallsBackByDefault(new RetryError([new TypeError('bug')], []))).toBe(false);
  });
});
