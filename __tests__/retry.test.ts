import {
  AuthenticationError,
  BackoffStrategy,
  ConnectionError,
  createEventBus,
  LLMError,
  OverloadedError,
  RateLimitError,
  RetryError,
  type MiddlewareLLM,
  ServerError,
  TimeoutError,
} from '../lib/index.js';
import { fakeTimersPerTest, ScriptLLM, seeded, settle } from './helpers/script.js';

const overloaded = (retryAfterMs?: number): OverloadedError =>
  new OverloadedError('overloaded', { status: 529, provider: 'openai', model: 'm', retryAfterMs });
const server = (): ServerError => new ServerError('boom', { status: 500, provider: 'openai', model: 'm' });
const auth = (): AuthenticationError => new AuthenticationError('bad key', { status: 401 });

fakeTimersPerTest();

/** Starts `ask`, runs fake time until it settles, and returns its outcome. */
describe('withRetry', () => {
  it('retries transient errors and answers, listing every attempt', async () => {
    const llm = new ScriptLLM('m', [{ error: server() }, { error: overloaded() }, { chunks: ['fine'] }]);
    const { value } = await settle(llm.withRetry({ maxRetries: 3, jitter: false }).ask('hi'));
    expect(value?.text).toBe('fine');
    expect(value?.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'success']);
    expect(value?.attempts[0]?.error).toBeInstanceOf(ServerError);
    expect(llm.calls).toBe(3);
  });

  it('sleeps the computed backoff between attempts', async () => {
    const llm = new ScriptLLM('m', [{ error: server() }, { error: server() }, { chunks: ['ok'] }]);
    const done = jest.fn();
    void llm.withRetry({ maxRetries: 2, initialDelay: 100, jitter: false }).ask('hi').then(done);
    await jest.advanceTimersByTimeAsync(99);
    expect(llm.calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(llm.calls).toBe(2);
    await jest.advanceTimersByTimeAsync(199);
    expect(llm.calls).toBe(2);
    await jest.advanceTimersByTimeAsync(1);
    expect(llm.calls).toBe(3);
    expect(done).toHaveBeenCalled();
  });

  it('throws RetryError with attempts, lastError and errors when retries run out', async () => {
    const errors = [server(), overloaded(), server()];
    const llm = new ScriptLLM(
      'm',
      errors.map((error) => ({ error })),
    );
    const onFailure = jest.fn();
    const { error } = await settle(llm.withRetry({ maxRetries: 2, onFailure }).ask('hi'));
    expect(error).toBeInstanceOf(RetryError);
    const retryError = error as RetryError;
    expect(retryError.errors).toEqual(errors);
    expect(retryError.lastError).toBe(errors[2]);
    expect(retryError.attempts).toHaveLength(3);
    expect(retryError.retryable).toBe(true);
    expect(retryError.kind).toBe('retry_exhausted');
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(onFailure).toHaveBeenCalledWith(errors[2], 3);
  });

  it('makes one attempt with maxRetries 0', async () => {
    const llm = new ScriptLLM('m', [{ error: server() }]);
    const { error } = await settle(llm.withRetry(0).ask('hi'));
    expect(error).toBeInstanceOf(RetryError);
    expect(llm.calls).toBe(1);
  });

  it('throws a non-retryable error as it is, at once, without onFailure', async () => {
    const failure = auth();
    const llm = new ScriptLLM('m', [{ error: server() }, { error: failure }]);
    const onFailure = jest.fn();
    const { error } = await settle(llm.withRetry({ maxRetries: 5, onFailure }).ask('hi'));
    expect(error).toBe(failure);
    expect(llm.calls).toBe(2);
    expect(onFailure).not.toHaveBeenCalled();
  });

  it('neither retries nor wraps an error the library did not make', async () => {
    const bug = new TypeError('x is not a function');
    const llm = new ScriptLLM('m', [{ error: bug }]);
    const { error } = await settle(llm.withRetry(3).ask('hi'));
    expect(error).toBe(bug);
    expect(llm.calls).toBe(1);
  });

  it('retries a TypeError when a matcher opts it in', async () => {
    const llm = new ScriptLLM('m', [{ error: new TypeError('flaky') }, { chunks: ['ok'] }]);
    const { value } = await settle(llm.withRetry({ retryOn: [TypeError] }).ask('hi'));
    expect(value?.text).toBe('ok');
    expect(llm.calls).toBe(2);
  });

  describe('precedence', () => {
    it('lets stopOn win over retryOn and retryCondition', async () => {
      const llm = new ScriptLLM('m', [{ error: server() }]);
      const { error } = await settle(
        llm.withRetry({ retryOn: [ServerError], retryCondition: () => true, stopOn: ['boom'] }).ask('hi'),
      );
      expect(error).toBeInstanceOf(ServerError);
      expect(llm.calls).toBe(1);
    });

    it('lets retryCondition decide instead of retryOn', async () => {
      const llm = new ScriptLLM('m', [{ error: auth() }, { chunks: ['ok'] }]);
      const { value } = await settle(
        llm
          .withRetry({ retryOn: [ServerError], retryCondition: (e) => e instanceof AuthenticationError })
          .ask('hi'),
      );
      expect(value?.text).toBe('ok');

      const refused = new ScriptLLM('m', [{ error: server() }]);
      const { error } = await settle(refused.withRetry({ retryCondition: () => false }).ask('hi'));
      expect(error).toBeInstanceOf(ServerError);
      expect(refused.calls).toBe(1);
    });

    it('matches strings against the message (any case) and the kind, and RegExps against the message', async () => {
      for (const matcher of ['BAD KEY', 'authentication', /bad\s+key/]) {
        const llm = new ScriptLLM('m', [{ error: auth() }, { chunks: ['ok'] }]);
        const { value } = await settle(llm.withRetry({ retryOn: [matcher] }).ask('hi'));
        expect(value?.text).toBe('ok');
      }
      const llm = new ScriptLLM('m', [{ error: auth() }]);
      const { error } = await settle(llm.withRetry({ retryOn: ['rate_limit', /quota/] }).ask('hi'));
      expect(error).toBeInstanceOf(AuthenticationError);
    });

    it('matches classes along the cause chain, e.g. an SDK class under our error', async () => {
      class SdkConnectionError extends Error {}
      const wrapped = new ConnectionError('reset', { cause: new SdkConnectionError('socket') });
      const llm = new ScriptLLM('m', [{ error: wrapped }]);
      const { error } = await settle(
        llm.withRetry({ maxRetries: 2, stopOn: [SdkConnectionError] }).ask('hi'),
      );
      expect(error).toBe(wrapped);
      expect(llm.calls).toBe(1);
    });

    it('stops on cancellation before anything else', async () => {
      const controller = new AbortController();
      const llm = new ScriptLLM('m', [{ hang: true }]);
      const pending = settle(
        llm.withRetry({ retryCondition: () => true }).ask('hi', { signal: controller.signal }),
      );
      controller.abort(new Error('user left'));
      const { error } = await pending;
      expect((error as Error).message).toBe('user left');
      expect(llm.calls).toBe(1);
    });
  });

  describe('callbacks', () => {
    it('calls onRetry(error, attempt, delayMs) before each sleep, then onFailure(error, attempts) once', async () => {
      const errors = [server(), overloaded(), server()];
      const llm = new ScriptLLM(
        'm',
        errors.map((error) => ({ error })),
      );
      const log: string[] = [];
      const { error } = await settle(
        llm
          .withRetry({
            maxRetries: 2,
            initialDelay: 10,
            jitter: false,
            onRetry: (e, attempt, delayMs) =>
              void log.push(`retry ${attempt} ${delayMs} ${(e as Error).message}`),
            onFailure: (e, attempts) => void log.push(`failure ${attempts} ${(e as Error).message}`),
          })
          .ask('hi'),
      );
      expect(error).toBeInstanceOf(RetryError);
      expect(log).toEqual(['retry 1 10 boom', 'retry 2 20 overloaded', 'failure 3 boom']);
    });

    it('awaits async callbacks', async () => {
      const llm = new ScriptLLM('m', [{ error: server() }, { chunks: ['ok'] }]);
      const log: string[] = [];
      const onRetry = async (): Promise<void> => {
        await new Promise((r) => setTimeout(r, 50));
        log.push('onRetry done');
      };
      const pending = llm.withRetry({ initialDelay: 10, jitter: false, onRetry }).ask('hi');
      await jest.advanceTimersByTimeAsync(20);
      expect(llm.calls).toBe(1); // still waiting for the callback
      await jest.advanceTimersByTimeAsync(40);
      await expect(pending).resolves.toMatchObject({ text: 'ok' });
      expect(log).toEqual(['onRetry done']);
    });

    it('never lets a throwing or rejecting callback change the outcome, and reports it', async () => {
      const bus = createEventBus();
      const reported: string[] = [];
      bus.on('callbackError', ({ callback, error }) =>
        reported.push(`${callback}: ${(error as Error).message}`),
      );
      const llm = new ScriptLLM('m', [{ error: server() }, { chunks: ['ok'] }]);
      const chain = llm
        .withRetry({
          onRetry: () => {
            throw new Error('logger broke');
          },
        })
        .withEvents(bus);
      const { value } = await settle(chain.ask('hi'));
      expect(value?.text).toBe('ok');

      const failing = new ScriptLLM('m', [{ error: server() }]);
      const { error } = await settle(
        failing
          .withRetry({ maxRetries: 0, onFailure: () => Promise.reject(new Error('async logger broke')) })
          .withEvents(bus)
          .ask('hi'),
      );
      expect(error).toBeInstanceOf(RetryError);
      expect(reported).toEqual(['onRetry: logger broke', 'onFailure: async logger broke']);
    });

    it('falls back to console.warn when no bus listens', async () => {
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
      const llm = new ScriptLLM('m', [{ error: server() }, { chunks: ['ok'] }]);
      const onRetry = (): never => {
        throw new Error('oops');
      };
      const { value } = await settle(llm.withRetry({ onRetry }).ask('hi'));
      expect(value?.text).toBe('ok');
      expect(warn).toHaveBeenCalledTimes(1);
      warn.mockRestore();
    });
  });

  describe('Retry-After', () => {
    it('waits the server-given delay instead of its own backoff', async () => {
      const llm = new ScriptLLM('m', [{ error: overloaded(250) }, { chunks: ['ok'] }]);
      const delays: number[] = [];
      const pending = llm
        .withRetry({ initialDelay: 5000, onRetry: (_e, _n, ms) => void delays.push(ms) })
        .ask('hi');
      await jest.advanceTimersByTimeAsync(249);
      expect(llm.calls).toBe(1);
      await jest.advanceTimersByTimeAsync(1);
      await expect(pending).resolves.toMatchObject({ text: 'ok' });
      expect(delays).toEqual([250]);
    });

    it('caps the server-given delay at maxDelay', async () => {
      const llm = new ScriptLLM('m', [
        { error: new RateLimitError('slow down', { retryAfterMs: 120_000 }) },
        { chunks: ['ok'] },
      ]);
      const delays: number[] = [];
      await settle(
        llm.withRetry({ maxDelay: 3000, onRetry: (_e, _n, ms) => void delays.push(ms) }).ask('hi'),
      );
      expect(delays).toEqual([3000]);
    });

    it('ignores it with respectRetryAfter: false', async () => {
      const llm = new ScriptLLM('m', [{ error: overloaded(9000) }, { chunks: ['ok'] }]);
      const delays: number[] = [];
      await settle(
        llm
          .withRetry({
            respectRetryAfter: false,
            initialDelay: 10,
            jitter: false,
            onRetry: (_e, _n, ms) => void delays.push(ms),
          })
          .ask('hi'),
      );
      expect(delays).toEqual([10]);
    });
  });

  describe('abort', () => {
    it('rejects at once with signal.reason when aborted during an attempt', async () => {
      const controller = new AbortController();
      const llm = new ScriptLLM('m', [{ hang: true }]);
      const pending = llm.withRetry(3).ask('hi', { signal: controller.signal });
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      expect(llm.calls).toBe(1);
    });

    it('rejects at once during the backoff sleep, and starts no attempt after', async () => {
      const controller = new AbortController();
      const llm = new ScriptLLM('m', [{ error: server() }, { chunks: ['ok'] }]);
      const pending = llm.withRetry({ initialDelay: 10_000 }).ask('hi', { signal: controller.signal });
      await jest.advanceTimersByTimeAsync(100);
      controller.abort('bye');
      await expect(pending).rejects.toBe('bye');
      await jest.advanceTimersByTimeAsync(20_000);
      expect(llm.calls).toBe(1);
    });

    it('rejects at once while an async onRetry is pending', async () => {
      const controller = new AbortController();
      const llm = new ScriptLLM('m', [{ error: server() }, { chunks: ['ok'] }]);
      const pending = llm
        .withRetry({ initialDelay: 0, onRetry: () => new Promise(() => {}) })
        .ask('hi', { signal: controller.signal });
      await jest.advanceTimersByTimeAsync(10);
      controller.abort('bye');
      await expect(pending).rejects.toBe('bye');
      expect(llm.calls).toBe(1);
    });

    it('rejects before any attempt when the signal is already aborted', async () => {
      const llm = new ScriptLLM('m', [{ chunks: ['ok'] }]);
      await expect(llm.withRetry(3).ask('hi', { signal: AbortSignal.abort('early') })).rejects.toBe('early');
      expect(llm.calls).toBe(0);
    });
  });

  describe('deadline', () => {
    it('rejects with TimeoutError when the deadline passes, its cause the last error', async () => {
      const first = server();
      const llm = new ScriptLLM('m', [{ error: first }, { hang: true }]);
      const { error } = await settle(
        llm.withRetry({ initialDelay: 100, jitter: false }).ask('hi', { deadline: 1000 }),
      );
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).cause).toBe(first);
      expect(llm.calls).toBe(2);
    });

    it('gives up at once, with the error itself, when a Retry-After is longer than the time left', async () => {
      const slowDown = overloaded(5000);
      const llm = new ScriptLLM('m', [{ error: slowDown }, { chunks: ['ok'] }]);
      const onFailure = jest.fn();
      const started = Date.now();
      const { error } = await settle(llm.withRetry({ onFailure }).ask('hi', { deadline: 2000 }));
      expect(error).toBe(slowDown);
      expect(Date.now() - started).toBe(0);
      expect(onFailure).toHaveBeenCalledWith(slowDown, 1);
    });
  });

  describe('construction', () => {
    const llm = new ScriptLLM('m', [{ chunks: ['ok'] }]);

    it.each([
      [{ maxRetries: -1 }, RangeError, '`maxRetries` must be a non-negative integer, got -1'],
      [{ maxRetries: 1.5 }, RangeError, '`maxRetries`'],
      [{ maxRetries: NaN }, RangeError, 'got NaN'],
      [{ initialDelay: -5 }, RangeError, '`initialDelay`'],
      [{ maxDelay: Infinity }, RangeError, '`maxDelay`'],
      [{ backoffMultiplier: 0.5 }, RangeError, '`backoffMultiplier`'],
      [
        { backoffStrategy: 'fibonacci' },
        RangeError,
        '`backoffStrategy` must be one of exponential, linear, fixed, jitter, got "fibonacci"',
      ],
      [{ retryOn: ['x', 5] }, TypeError, '`retryOn[1]`'],
      [{ onRetry: 'log' }, TypeError, '`onRetry` must be a function'],
      [{ jitter: 'yes' }, TypeError, '`jitter` must be a boolean'],
      [{ onInterrupt: 'resume' }, RangeError, '`onInterrupt`'],
    ])('rejects %p at construction', (config, type, message) => {
      expect(() => llm.withRetry(config as never)).toThrow(type);
      expect(() => llm.withRetry(config as never)).toThrow(message);
    });

    it('accepts strategies as BackoffStrategy values or strings', () => {
      expect(llm.withRetry({ backoffStrategy: BackoffStrategy.JITTER }).middleware.config.strategy).toBe(
        'jitter',
      );
      expect(llm.withRetry({ backoffStrategy: 'linear' }).middleware.config.strategy).toBe('linear');
    });

    it('fills the documented defaults', () => {
      expect(llm.withRetry().middleware.config).toMatchObject({
        maxRetries: 3,
        initialDelay: 1000,
        maxDelay: 60_000,
        multiplier: 2,
        strategy: 'exponential',
        jitter: true,
        respectRetryAfter: true,
        onInterrupt: 'error',
      });
    });

    it('leaves the receiver unchanged and returns a frozen wrapper', () => {
      const before = llm.describe();
      const wrapped = llm.withRetry(2);
      expect(wrapped).not.toBe(llm);
      expect(llm.describe()).toBe(before);
      expect(Object.isFrozen(wrapped)).toBe(true);
      expect(Object.isFrozen(llm)).toBe(false); // the test double itself is not frozen; providers are (see providers test)
      expect(wrapped.describe()).toBe('retry(openai:m ×3)');
      expect(wrapped.model).toBe('m');
      expect(wrapped.provider).toBe('openai');
      expect((wrapped as MiddlewareLLM).inner).toBe(llm);
    });
  });

  it('draws jitter from the injected random', async () => {
    const delays: number[] = [];
    const llm = new ScriptLLM('m', [{ error: server() }, { error: server() }, { chunks: ['ok'] }]);
    await settle(
      llm
        .withRetry({
          backoffStrategy: 'jitter',
          initialDelay: 1000,
          random: () => 0.25,
          onRetry: (_e, _n, ms) => void delays.push(ms),
        })
        .ask('hi'),
    );
    expect(delays).toEqual([250, 500]);
  });

  it('repeats the same delays for the same seed', async () => {
    const delaysFor = async (seed: number): Promise<number[]> => {
      const delays: number[] = [];
      const llm = new ScriptLLM('m', [
        { error: server() },
        { error: server() },
        { error: server() },
        { chunks: ['ok'] },
      ]);
      await settle(
        llm.withRetry({ random: seeded(seed), onRetry: (_e, _n, ms) => void delays.push(ms) }).ask('hi'),
      );
      return delays;
    };
    const first = await delaysFor(11);
    expect(await delaysFor(11)).toEqual(first);
    expect(await delaysFor(12)).not.toEqual(first);
    first.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(0.9 * 1000 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(1.1 * 1000 * 2 ** i);
    });
  });

  it('never lets a throwing event listener change the outcome', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const bus = createEventBus();
    bus.on('attempt', () => {
      throw new Error('listener broke');
    });
    const llm = new ScriptLLM('m', [{ error: server() }, { chunks: ['ok'] }]);
    const { value } = await settle(llm.withRetry({ initialDelay: 1 }).withEvents(bus).ask('hi'));
    expect(value?.text).toBe('ok');
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });

  it('emits retry events on an attached bus', async () => {
    const bus = createEventBus();
    const seen: unknown[] = [];
    bus.on('retry', (e) => seen.push({ attempt: e.attempt, delayMs: e.delayMs, model: e.model }));
    const llm = new ScriptLLM('m', [{ error: server() }, { chunks: ['ok'] }]);
    await settle(llm.withRetry({ initialDelay: 10, jitter: false }).withEvents(bus).ask('hi'));
    expect(seen).toEqual([{ attempt: 1, delayMs: 10, model: 'm' }]);
  });

  it('is an LLMError hierarchy throughout', () => {
    expect(new RetryError([server()], [])).toBeInstanceOf(LLMError);
  });
});
