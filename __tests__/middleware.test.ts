import {
  createEventBus,
  type LLMMiddleware,
  type LLMRequest,
  MiddlewareLLM,
  OverloadedError,
  RateLimitedError,
  type Reply,
  ServerError,
  Telemetry,
} from '../lib/index.js';
import { drain, ScriptLLM } from './helpers/script.js';

/** A promise's outcome, in real time. */
const settle = <T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

const fast = { initialDelay: 0, maxDelay: 0 };
const failing = () => new ServerError('down', { provider: 'openai', model: 'm', status: 500 });

/** A user layer that counts the calls through it and tags each request's last message. */
function tagger(tag = 'tagged') {
  const seen: LLMRequest[] = [];
  const middleware: LLMMiddleware = {
    name: 'tag',
    transformRequest: (request) => {
      seen.push(request);
      const messages = request.messages.map((m, i) =>
        i === request.messages.length - 1 ? { ...m, content: `${m.content} [${tag}]` } : m,
      );
      return { ...request, messages };
    },
  };
  return { middleware, seen };
}

const lastText = (request: LLMRequest | undefined): string | undefined => request?.messages.at(-1)?.content;

describe('use()', () => {
  it('puts the layer outermost: inner is the receiver, describe() is name(inner), frozen, receiver unchanged', () => {
    const inner = new ScriptLLM('m', [{}]).withRetry(1);
    const before = inner.describe();
    const { middleware } = tagger();
    const llm = inner.use(middleware);
    expect(llm).toBeInstanceOf(MiddlewareLLM);
    expect(llm.inner).toBe(inner);
    expect(llm.middleware).toBe(middleware);
    expect(llm.describe()).toBe('tag(retry(openai:m ×2))');
    expect([llm.model, llm.provider]).toEqual(['m', 'openai']);
    expect(Object.isFrozen(llm)).toBe(true);
    expect(inner.describe()).toBe(before);
  });

  it('rejects what is not a middleware, naming what is wrong', () => {
    const llm = new ScriptLLM('m', [{}]);
    expect(() => llm.use(null as never)).toThrow(/`use` takes a middleware object, got null/);
    expect(() => llm.use({ name: '' })).toThrow(/`name` must be a non-empty string/);
    expect(() => llm.use({ name: 'x', wrapAsk: 3 as never })).toThrow(/`x.wrapAsk` must be a function/);
    expect(() => llm.use({ name: 'x', routes: [{}] as never })).toThrow(/`x.routes\[0\]` must be an LLM/);
  });

  it('refuses a transformRequest that returns no request, naming what it got', async () => {
    const llm = new ScriptLLM('m', [{}]);
    await expect(llm.use({ name: 'x', transformRequest: () => null as never }).ask('hi')).rejects.toThrow(
      'a request must be an object, got null',
    );
    await expect(
      llm.use({ name: 'y', transformRequest: async (r) => ({ ...r, messages: [] }) }).ask('hi'),
    ).rejects.toThrow(/`request.messages` must be a non-empty Message\[\]/);
  });

  it('runs transformRequest before wrapAsk within a layer, and outer layers first', async () => {
    const log: string[] = [];
    const layer = (name: string): LLMMiddleware => ({
      name,
      transformRequest: (request) => (log.push(`${name}.transform`), request),
      wrapAsk: (request, next) => (log.push(`${name}.wrap`), next(request)),
    });
    await new ScriptLLM('m', [{}]).use(layer('inner')).use(layer('outer')).ask('hi');
    expect(log).toEqual(['outer.transform', 'outer.wrap', 'inner.transform', 'inner.wrap']);
  });

  it('hands every layer a frozen request without signal or deadline, which live on the call', async () => {
    let request: LLMRequest | undefined;
    let deadlineAt: number | undefined;
    let signal: AbortSignal | undefined;
    const llm = new ScriptLLM('m', [{}]).use({
      name: 'peek',
      wrapAsk: (r, next, call) => (
        (request = r),
        (deadlineAt = call.deadlineAt),
        (signal = call.signal),
        next(r)
      ),
    });
    await llm.ask('hi', { deadline: 5_000, temperature: 0, signal: new AbortController().signal });
    expect(
      Object.isFrozen(request) && Object.isFrozen(request!.messages) && Object.isFrozen(request!.options),
    ).toBe(true);
    expect(request!.options).toEqual({ temperature: 0 });
    expect(deadlineAt! - performance.now()).toBeGreaterThan(4_000);
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(() => (request!.messages as unknown[]).push({})).toThrow(TypeError);
  });
});

describe('wrapAsk', () => {
  const reply = (text: string): Reply => ({
    text,
    model: 'self',
    provider: 'openai',
    usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    finishReason: 'stop',
    raw: {},
    attempts: [],
  });

  it('calling next 0 times answers without the inner LLM', async () => {
    const inner = new ScriptLLM('m', [{ chunks: ['inner'] }]);
    const llm = inner.use({ name: 'canned', wrapAsk: async () => reply('canned') });
    expect((await llm.ask('hi')).text).toBe('canned');
    expect(inner.calls).toBe(0);
  });

  it('calling next once passes the inner reply and history through', async () => {
    const inner = new ScriptLLM('m', [{ chunks: ['inner'] }]);
    const llm = inner.use({ name: 'pass', wrapAsk: (request, next) => next(request) });
    const answer = await llm.ask('hi');
    expect([answer.text, inner.calls, answer.attempts.length]).toEqual(['inner', 1, 1]);
  });

  it('calling next 3 times makes 3 requests in one call, all in its history', async () => {
    const inner = new ScriptLLM('m', [{ chunks: ['a'] }, { chunks: ['bbb'] }, { chunks: ['cc'] }]);
    const llm = inner.use({
      name: 'best-of-3',
      wrapAsk: async (request, next) => {
        const replies = [await next(request), await next(request), await next(request)];
        return replies.reduce((best, r) => (r.text.length > best.text.length ? r : best));
      },
    });
    const answer = await llm.ask('hi');
    expect(answer.text).toBe('bbb');
    expect(inner.calls).toBe(3);
    expect(answer.attempts).toHaveLength(3);
  });
});

describe('wrapStream', () => {
  it('transforms every chunk and the final reply', async () => {
    const llm = new ScriptLLM('m', [{ chunks: ['Hello', ' world'] }]).use({
      name: 'upper',
      async *wrapStream(request, next) {
        const inner = next(request);
        for (;;) {
          const step = await inner.next();
          if (step.done) return { ...step.value, text: step.value.text.toUpperCase() };
          yield { ...step.value, text: step.value.text.toUpperCase() } as typeof step.value;
        }
      },
    });
    const stream = llm.stream('hi');
    const { chunks } = await drain(stream);
    expect(chunks).toEqual(['HELLO', ' WORLD']);
    expect((await stream.finalReply()).text).toBe('HELLO WORLD');
  });
});

describe('an abort through a layer that ignores call.signal', () => {
  const deaf: LLMMiddleware = {
    name: 'deaf',
    wrapAsk: () => new Promise<Reply>(() => {}),
    // eslint-disable-next-line require-yield
    async *wrapStream() {
      return await new Promise<Reply>(() => {});
    },
  };

  it('rejects ask() at once with the reason', async () => {
    const controller = new AbortController();
    const pending = settle(
      new ScriptLLM('m', [{}]).use(deaf).withRetry(2).ask('hi', { signal: controller.signal }),
    );
    const reason = new Error('stop');
    controller.abort(reason);
    expect((await pending).error).toBe(reason);
  });

  it('rejects a stream at once with the reason, and a deadline too', async () => {
    const controller = new AbortController();
    const stream = new ScriptLLM('m', [{}]).use(deaf).stream('hi', { signal: controller.signal });
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 5);
    expect((await drain(stream)).error).toBe(reason);
    const late = await settle(new ScriptLLM('m', [{}]).use(deaf).ask('hi', { deadline: 5 }));
    expect(late.error).toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/deadline of 5 ms/),
    });
  });
});

/** Each built-in, with a user layer inside (`user` then `builtIn`) and outside it, and what the order changes. */
describe('every built-in composed with a user middleware, in both orders', () => {
  it('retry: inside, the user layer sees every attempt; outside, one call', async () => {
    const inside = tagger();
    const a = new ScriptLLM('m', [{ error: failing() }, {}]);
    await a
      .use(inside.middleware)
      .withRetry({ maxRetries: 1, ...fast })
      .ask('hi');
    const outside = tagger();
    const b = new ScriptLLM('m', [{ error: failing() }, {}]);
    await b
      .withRetry({ maxRetries: 1, ...fast })
      .use(outside.middleware)
      .ask('hi');
    expect([inside.seen.length, outside.seen.length]).toEqual([2, 1]);
    expect([a.requests, b.requests].flat().map(lastText)).toEqual(Array(4).fill('hi [tagged]'));
  });

  it('fallback: inside, only the primary gets the tag; outside, the backup too', async () => {
    const run = async (order: 'inside' | 'outside') => {
      const { middleware } = tagger();
      const primary = new ScriptLLM('p', [{ error: failing() }]);
      const backup = new ScriptLLM('b', [{}]);
      const llm =
        order === 'inside'
          ? primary.use(middleware).withFallbacks([backup])
          : primary.withFallbacks([backup]).use(middleware);
      expect((await llm.ask('hi')).model).toBe('b');
      return [lastText(primary.requests[0]), lastText(backup.requests[0])];
    };
    expect(await run('inside')).toEqual(['hi [tagged]', 'hi']);
    expect(await run('outside')).toEqual(['hi [tagged]', 'hi [tagged]']);
  });

  it('circuitBreaker: a user guardrail failing inside is counted; outside it never reaches the breaker', async () => {
    const guardrail: LLMMiddleware = {
      name: 'guardrail',
      wrapAsk: () => Promise.reject(new OverloadedError('busy', { provider: 'openai', model: 'm' })),
    };
    const inside = new ScriptLLM('m', [{}]).use(guardrail).withCircuitBreaker({ failureThreshold: 1 });
    await settle(inside.ask('hi'));
    const outside = new ScriptLLM('m', [{}]).withCircuitBreaker({ failureThreshold: 1 }).use(guardrail);
    await settle(outside.ask('hi'));
    expect([
      inside.middleware.breaker.state,
      (outside.inner as typeof inside).middleware.breaker.state,
    ]).toEqual(['open', 'closed']);
  });

  it('rateLimit: inside, a refused call never reaches the user layer; outside, it does', async () => {
    const options = { requestsPerMinute: 1, maxWait: 0 };
    const inside = tagger();
    const a = new ScriptLLM('m', [{}]).use(inside.middleware).withRateLimit(options);
    const outside = tagger();
    const b = new ScriptLLM('m', [{}]).withRateLimit(options).use(outside.middleware);
    for (const llm of [a, b]) {
      await llm.ask('one');
      expect((await settle(llm.ask('two'))).error).toBeInstanceOf(RateLimitedError);
    }
    expect([inside.seen.length, outside.seen.length]).toEqual([1, 2]);
  });

  it('cache: inside, a hit skips the user layer; outside, the user layer keys the cache by its own request', async () => {
    const inside = tagger();
    const a = new ScriptLLM('m', [{}]).use(inside.middleware).withCache();
    const outside = tagger();
    const b = new ScriptLLM('m', [{}]).withCache().use(outside.middleware);
    for (const llm of [a, b]) for (let i = 0; i < 2; i++) await llm.ask('same');
    expect([inside.seen.length, outside.seen.length, a.middleware.cache.stats().hits]).toEqual([1, 2, 1]);
    expect((b.inner as typeof a).middleware.cache.stats().hits).toBe(1);
  });

  it('telemetry: a user layer answering by itself is counted only when telemetry is outside it', async () => {
    const canned: LLMMiddleware = { name: 'canned', wrapAsk: async () => cannedReply };
    const outer = new Telemetry();
    const a = new ScriptLLM('m', [{}]);
    await a.use(canned).withTelemetry(outer).ask('hi');
    const inner = new Telemetry();
    const b = new ScriptLLM('m', [{}]);
    await b.withTelemetry(inner).use(canned).ask('hi');
    expect([outer.getMetrics().requests, outer.getMetrics().successes, outer.getMetrics().attempts]).toEqual([
      1, 1, 0,
    ]);
    expect(inner.getMetrics().requests).toBe(0);
    expect([a.calls, b.calls]).toEqual([0, 0]);
  });

  it('events: a user layer emits on the bus only from inside withEvents', async () => {
    const seen: string[] = [];
    const bus = createEventBus();
    bus.on('fallback', ({ to }) => seen.push(to));
    const announcing = (to: string): LLMMiddleware => ({
      name: 'announce',
      wrapAsk: (request, next, call) => (
        call.emit('fallback', { error: null, from: 'x', to }),
        next(request)
      ),
    });
    await new ScriptLLM('m', [{}]).use(announcing('inside')).withEvents(bus).ask('hi');
    await new ScriptLLM('m', [{}]).withEvents(bus).use(announcing('outside')).ask('hi');
    expect(seen).toEqual(['inside']);
  });
});

const cannedReply: Reply = {
  text: 'canned',
  model: 'm',
  provider: 'openai',
  usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 },
  finishReason: 'stop',
  raw: {},
  attempts: [],
};

describe('call.via(llm, { signal })', () => {
  it('aborts one branch without aborting the call: a hedge keeps the winner, the loser is cancelled', async () => {
    const slow = new ScriptLLM('slow', [{ hang: true }]);
    const fast = new ScriptLLM('fast', [{ delayMs: 5 }]);
    const hedge: LLMMiddleware = {
      name: 'hedge',
      routes: [fast],
      wrapAsk: async (request, _next, call) => {
        const loser = new AbortController();
        const first = call.via(slow, { signal: loser.signal }).ask(request);
        first.catch(() => {});
        const winner = await call.via(fast).ask(request);
        loser.abort(new DOMException('lost the race', 'AbortError'));
        await first.catch(() => {});
        return winner;
      },
    };
    const controller = new AbortController();
    const reply = await slow.use(hedge).ask('hi', { signal: controller.signal });
    expect(reply.model).toBe('fast');
    expect(controller.signal.aborted).toBe(false);
    expect(reply.attempts.map((a) => [a.model, a.outcome])).toEqual([
      ['fast', 'success'],
      ['slow', 'error'],
    ]);
    expect(reply.attempts[1]!.error).toMatchObject({ name: 'AbortError', message: 'lost the race' });
  });

  it('rejects what is not an LLM, or a signal that is not an AbortSignal', async () => {
    const llm = new ScriptLLM('m', [{}]);
    const bad = (arg: unknown, options?: unknown): LLMMiddleware => ({
      name: 'bad',
      wrapAsk: (request, _next, call) => call.via(arg as never, options as never).ask(request),
    });
    await expect(llm.use(bad({})).ask('hi')).rejects.toThrow(/`call.via` takes an LLM, got an object/);
    await expect(llm.use(bad(llm, { signal: 1 })).ask('hi')).rejects.toThrow(
      /`signal` must be an AbortSignal/,
    );
  });
});
