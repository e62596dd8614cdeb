import {
  AnthropicLLM,
  cacheKey,
  CacheMiddleware,
  cachesByDefault,
  createEventBus,
  type LLMEvents,
  OpenAILLM,
  ResponseCache,
  ServerError,
  StreamInterruptedError,
} from '../lib/index.js';
import { FaultServer, faultModel } from '../lib/testing/index.js';
import { drain, ScriptLLM } from './helpers/script.js';

const boom = (): ServerError => new ServerError('boom', { provider: 'openai', model: 'm', status: 500 });

function recordEvents() {
  const bus = createEventBus();
  const seen: string[] = [];
  bus.on('cacheHit', () => seen.push('hit'));
  bus.on('cacheMiss', () => seen.push('miss'));
  return { bus, seen };
}

describe('cacheKey', () => {
  const base = {
    provider: 'openai' as const,
    model: 'gpt-4o',
    messages: [{ role: 'user' as const, content: 'Hi' }],
  };

  it('stays stable when object keys come in a different order', () => {
    const a = cacheKey({
      ...base,
      temperature: 0,
      extra: { top_p: 1, nested: { x: 1, y: [1, { b: 2, a: 1 }] } },
    });
    const b = cacheKey({
      extra: { nested: { y: [1, { a: 1, b: 2 }], x: 1 }, top_p: 1 },
      temperature: 0,
      ...base,
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the model, the messages and every parameter', () => {
    const keys = new Set([
      cacheKey(base),
      cacheKey({ ...base, model: 'gpt-4o-mini' }),
      cacheKey({ ...base, provider: 'anthropic' }),
      cacheKey({ ...base, messages: [{ role: 'user', content: 'Hi!' }] }),
      cacheKey({ ...base, system: 'Be brief' }),
      cacheKey({ ...base, temperature: 0 }),
      cacheKey({ ...base, maxTokens: 10 }),
      cacheKey({ ...base, extra: { top_p: 0.5 } }),
      // order of messages matters
      cacheKey({ ...base, messages: [...base.messages, { role: 'assistant', content: 'Hello' }] }),
    ]);
    expect(keys.size).toBe(9);
  });

  it('leaves out the signal, timeouts, the deadline and extra message fields', async () => {
    const inner = new ScriptLLM('m', [{ chunks: ['answer'] }]);
    const llm = inner.withCache();
    await llm.ask('Hi', { temperature: 0 });
    const again = await llm.ask([{ role: 'user', content: 'Hi', name: 'ann' } as never], {
      temperature: 0,
      signal: new AbortController().signal,
      timeout: 5,
      deadline: 1000,
      firstChunkTimeout: 3,
      idleTimeout: 3,
    });
    expect(again.text).toBe('answer');
    expect(inner.calls).toBe(1);
  });
});

describe('withCache', () => {
  it('answers a repeated call from the cache, with no attempt, and reports hits and misses', async () => {
    const inner = new ScriptLLM('m', [{ chunks: ['hello'] }]);
    const cache = new ResponseCache();
    const { bus, seen } = recordEvents();
    const llm = inner.withCache(cache).withEvents(bus);
    const first = await llm.ask('Hi');
    const second = await llm.ask('Hi');
    await llm.ask('Something else');
    expect(inner.calls).toBe(2);
    expect(first.attempts).toHaveLength(1);
    expect(second).toMatchObject({ text: 'hello', model: 'm', provider: 'openai', attempts: [] });
    expect(second.usage).toEqual(first.usage);
    expect(seen).toEqual(['miss', 'hit', 'miss']);
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, stale: 0, hitRate: 1 / 3, size: 2 });
  });

  it('describes itself, is frozen, and leaves the receiver unchanged', () => {
    const inner = new ScriptLLM('m', [{}]);
    const before = inner.describe();
    const llm = inner.withRetry(1).withCache({ ttl: 10 });
    expect(llm.middleware).toBeInstanceOf(CacheMiddleware);
    expect(llm.describe()).toBe('cache(retry(openai:m ×2))');
    expect(Object.isFrozen(llm)).toBe(true);
    expect(inner.describe()).toBe(before);
    expect(llm.model).toBe('m');
    expect(llm.middleware.cache.ttl).toBe(10);
  });

  it('expires a reply after its ttl', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const inner = new ScriptLLM('m', [{}]);
      const llm = inner.withCache({ ttl: 1000 });
      await llm.ask('Hi');
      jest.advanceTimersByTime(999);
      await llm.ask('Hi');
      expect(inner.calls).toBe(1);
      jest.advanceTimersByTime(2);
      await llm.ask('Hi');
      expect(inner.calls).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps at most maxEntries replies, evicting the least recently used', async () => {
    const inner = new ScriptLLM('m', [{}]);
    const cache = new ResponseCache({ maxEntries: 2 });
    const llm = inner.withCache(cache);
    await llm.ask('a');
    await llm.ask('b');
    await llm.ask('a'); // a is now the most recent
    await llm.ask('c'); // evicts b
    expect(cache.stats().size).toBe(2);
    await llm.ask('a');
    expect(inner.calls).toBe(3);
    await llm.ask('b');
    expect(inner.calls).toBe(4);
  });

  it('never caches an error', async () => {
    const inner = new ScriptLLM('m', [{ error: boom() }, { chunks: ['ok'] }]);
    const llm = inner.withCache();
    await expect(llm.ask('Hi')).rejects.toBeInstanceOf(ServerError);
    expect((await llm.ask('Hi')).text).toBe('ok');
    expect((await llm.ask('Hi')).attempts).toEqual([]);
    expect(inner.calls).toBe(2);
  });

  it('shares one ResponseCache between LLMs on purpose', async () => {
    const cache = new ResponseCache();
    const a = new ScriptLLM('m', [{ chunks: ['from a'] }]);
    const b = new ScriptLLM('m', [{ chunks: ['from b'] }]);
    await a.withCache(cache).ask('Hi');
    expect((await b.withRetry(2).withCache(cache).ask('Hi')).text).toBe('from a');
    expect(b.calls).toBe(0);
    const other = new ScriptLLM('m', [{ chunks: ['private'] }]);
    expect((await other.withCache().ask('Hi')).text).toBe('private');
  });

  it('rejects with the abort reason before answering from the cache', async () => {
    const llm = new ScriptLLM('m', [{}]).withCache();
    await llm.ask('Hi');
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(llm.ask('Hi', { signal: controller.signal })).rejects.toBe(reason);
  });

  describe('shouldCache', () => {
    it('by default does not cache a call asking for sampling (temperature > 0)', async () => {
      const inner = new ScriptLLM('m', [{}]);
      const llm = inner.withCache();
      await llm.ask('Hi', { temperature: 0.7 });
      await llm.ask('Hi', { temperature: 0.7 });
      expect(inner.calls).toBe(2);
      await llm.ask('Hi', { temperature: 0 });
      await llm.ask('Hi', { temperature: 0 });
      await llm.ask('Hi');
      await llm.ask('Hi');
      expect(inner.calls).toBe(4);
      const reply = await llm.ask('Hi');
      expect(cachesByDefault({ provider: 'openai', model: 'm', messages: [], temperature: 1 }, reply)).toBe(
        false,
      );
    });

    it('is replaced by the predicate given, which sees the keyed request and the reply', async () => {
      const inner = new ScriptLLM('m', [{ chunks: ['short'] }, { chunks: ['a long answer'] }]);
      const shouldCache = jest.fn((_req, reply: { text: string }) => reply.text.length > 5);
      const llm = inner.withCache({ shouldCache });
      await llm.ask('Hi', { temperature: 0.9, signal: new AbortController().signal });
      expect(shouldCache.mock.calls[0]![0]).toEqual({
        provider: 'openai',
        model: 'm',
        messages: [{ role: 'user', content: 'Hi' }],
        temperature: 0.9,
      });
      await llm.ask('Hi', { temperature: 0.9 });
      await llm.ask('Hi', { temperature: 0.9 });
      expect(inner.calls).toBe(2);
    });

    it('that throws stores nothing, reports a callbackError and keeps the reply', async () => {
      const bus = createEventBus();
      const errors: LLMEvents['callbackError'][] = [];
      bus.on('callbackError', (e) => errors.push(e));
      const inner = new ScriptLLM('m', [{ chunks: ['ok'] }]);
      const llm = inner
        .withCache({
          shouldCache: () => {
            throw new Error('bad predicate');
          },
        })
        .withEvents(bus);
      expect((await llm.ask('Hi')).text).toBe('ok');
      await llm.ask('Hi');
      expect(inner.calls).toBe(2);
      expect(errors.map((e) => e.callback)).toEqual(['shouldCache', 'shouldCache']);
    });
  });

  describe('streaming', () => {
    it('streams a cached reply as chunks, and finalReply() gives the same reply', async () => {
      const inner = new ScriptLLM('m', [{ chunks: ['Hello', ' big', ' world.'] }]);
      const llm = inner.withCache();
      const first = llm.stream('Hi');
      expect((await drain(first)).chunks).toEqual(['Hello', ' big', ' world.']);
      const stored = await first.finalReply();
      const second = llm.stream('Hi');
      const { chunks } = await drain(second);
      expect(chunks.join('')).toBe('Hello big world.');
      expect(chunks.length).toBeGreaterThan(1);
      const reply = await second.finalReply();
      expect(reply).toMatchObject({ text: 'Hello big world.', attempts: [], usage: stored.usage });
      expect((await llm.ask('Hi')).text).toBe('Hello big world.');
      expect(inner.calls).toBe(1);
    });

    it('serves a stream from a reply stored by ask()', async () => {
      const inner = new ScriptLLM('m', [{ chunks: ['  lead and trail  '] }]);
      const llm = inner.withCache();
      await llm.ask('Hi');
      const stream = llm.stream('Hi');
      expect((await drain(stream)).chunks.join('')).toBe('  lead and trail  ');
      expect(inner.calls).toBe(1);
    });

    it('never stores an interrupted stream', async () => {
      const cut = new StreamInterruptedError('cut', 'one', { provider: 'openai', model: 'm' });
      const inner = new ScriptLLM('m', [
        { chunks: ['one', 'two'], cutAfter: 1, error: cut },
        { chunks: ['whole'] },
      ]);
      const cache = new ResponseCache();
      const llm = inner.withCache(cache);
      const { chunks, error } = await drain(llm.stream('Hi'));
      expect(chunks).toEqual(['one']);
      expect(error).toBeInstanceOf(StreamInterruptedError);
      expect(cache.stats().size).toBe(0);
      expect((await llm.ask('Hi')).text).toBe('whole');
      expect(inner.calls).toBe(2);
    });

    it('never stores a stream the consumer left early', async () => {
      const inner = new ScriptLLM('m', [{ chunks: ['one', 'two', 'three'] }]);
      const cache = new ResponseCache();
      const llm = inner.withCache(cache);
      for await (const chunk of llm.stream('Hi')) if (chunk.text === 'one') break;
      expect(cache.stats().size).toBe(0);
    });
  });

  describe('coalesce', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('is off by default: concurrent identical misses each call the model', async () => {
      const inner = new ScriptLLM('m', [{ delayMs: 100 }]);
      const llm = inner.withCache();
      const both = Promise.all([llm.ask('Hi'), llm.ask('Hi')]);
      await jest.advanceTimersByTimeAsync(100);
      await both;
      expect(inner.calls).toBe(2);
    });

    it('makes concurrent identical asks wait for the one in flight and share its stored reply', async () => {
      const inner = new ScriptLLM('m', [{ delayMs: 100, chunks: ['shared'] }]);
      const cache = new ResponseCache({ coalesce: true });
      const llm = inner.withCache(cache);
      const all = Promise.all([llm.ask('Hi'), llm.ask('Hi'), llm.ask('Hi')]);
      await jest.advanceTimersByTimeAsync(100);
      const replies = await all;
      expect(replies.map((r) => r.text)).toEqual(['shared', 'shared', 'shared']);
      expect(replies.map((r) => r.attempts.length)).toEqual([1, 0, 0]);
      expect(inner.calls).toBe(1);
      expect(cache.stats()).toMatchObject({ hits: 2, misses: 1 });
    });

    it('never shares an error: when the one in flight fails, each waiter calls on its own', async () => {
      const inner = new ScriptLLM('m', [
        { delayMs: 100, error: boom() },
        { delayMs: 100, chunks: ['ok'] },
      ]);
      const llm = inner.withCache({ coalesce: true });
      const first = llm.ask('Hi');
      const second = llm.ask('Hi');
      first.catch(() => {});
      await jest.advanceTimersByTimeAsync(200);
      await expect(first).rejects.toBeInstanceOf(ServerError);
      expect((await second).text).toBe('ok');
      expect(inner.calls).toBe(2);
    });

    it('lets a waiter leave at once when its signal aborts', async () => {
      const inner = new ScriptLLM('m', [{ delayMs: 100 }]);
      const llm = inner.withCache({ coalesce: true });
      const leader = llm.ask('Hi');
      const controller = new AbortController();
      const waiter = llm.ask('Hi', { signal: controller.signal });
      const reason = new Error('gone');
      controller.abort(reason);
      await expect(waiter).rejects.toBe(reason);
      await jest.advanceTimersByTimeAsync(100);
      expect((await leader).text).toBe('ok');
    });
  });

  describe('validation', () => {
    const inner = new ScriptLLM('m', [{}]);
    it.each([
      [{ ttl: -1 }, RangeError, /`ttl`.*-1/],
      [{ ttl: Number.NaN }, RangeError, /`ttl`.*NaN/],
      [{ ttl: '5' }, TypeError, /`ttl`/],
      [{ maxEntries: 0 }, RangeError, /`maxEntries`.*0/],
      [{ maxEntries: 1.5 }, RangeError, /`maxEntries`.*1\.5/],
      [{ shouldCache: 'yes' }, TypeError, /`shouldCache`/],
      [{ coalesce: 'yes' }, TypeError, /`coalesce`/],
    ])('rejects %p at construction', (options, type, message) => {
      expect(() => inner.withCache(options as never)).toThrow(type);
      expect(() => inner.withCache(options as never)).toThrow(message);
    });

    it('is typed: options or a ResponseCache, nothing else', () => {
      expect(() => {
        // @ts-expect-error `ttl` is a number of ms
        inner.withCache({ ttl: '5' });
      }).toThrow(TypeError);
      // @ts-expect-error shouldCache returns a boolean
      inner.withCache({ shouldCache: (_r, reply) => reply.text });
      inner.withCache(new ResponseCache({ shouldCache: (r) => r.model === 'm' }));
    });

    it('rejects a value that is neither a cache nor options', () => {
      expect(() => inner.withCache('big' as never)).toThrow(TypeError);
      expect(() => inner.withCache(null as never)).toThrow(/ResponseCache or cache options/);
    });
  });
});

describe('withCache on the wire', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await FaultServer.start();
  });
  afterAll(() => server.close());
  beforeEach(() => server.resetHits());

  const providers = [
    [
      'openai',
      (model: string) => new OpenAILLM(model, { apiKey: 'test-key', baseURL: server.openaiBaseURL }),
    ],
    [
      'anthropic',
      (model: string) => new AnthropicLLM(model, { apiKey: 'test-key', baseURL: server.anthropicBaseURL }),
    ],
  ] as const;

  it.each(providers)('%s: a repeated ask and stream are served without a request', async (_name, make) => {
    const model = faultModel(_name === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5', { chunks: 4 });
    const llm = make(model).withCache();
    const first = await llm.ask('Hi');
    const again = await llm.ask('Hi');
    const streamed = llm.stream('Hi');
    const { chunks } = await drain(streamed);
    expect(server.hitCount(model)).toBe(1);
    expect(again.text).toBe(first.text);
    expect(chunks.join('')).toBe(first.text);
    expect((await streamed.finalReply()).attempts).toEqual([]);
  });

  it.each(providers)(
    '%s: one shared cache keeps apart LLMs built with another system prompt, sampling, tools or fallback',
    async (name) => {
      const model = `${name === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5'}~text=scoped`;
      const other = name === 'openai' ? 'anthropic' : 'openai';
      const make = (options: Record<string, unknown> = {}) =>
        name === 'openai'
          ? new OpenAILLM(model, { apiKey: 'test-key', baseURL: server.openaiBaseURL, ...options })
          : new AnthropicLLM(model, { apiKey: 'test-key', baseURL: server.anthropicBaseURL, ...options });
      const settings = [
        {},
        { system: 'Answer in French.' },
        { system: 'Answer in German.' },
        { temperature: 0 },
        { maxTokens: 50 },
        { tools: [{ name: 'lookup', parameters: { type: 'object', properties: {} } }] },
      ];
      const cache = new ResponseCache();
      for (const options of settings) await make(options).withCache(cache).ask('Hi');
      // Each is its own answer: every one of them went to the server.
      expect(server.hitCount(model)).toBe(settings.length);
      const sent = server.hits(model).map((h) => JSON.stringify(h.body));
      expect(sent.filter((body) => body.includes('Answer in French.'))).toHaveLength(1);
      // The same settings in a new LLM (and inside other layers) share the stored answer.
      for (const options of settings) {
        const again = await make(options).withRetry(1).withCache(cache).ask('Hi');
        expect(again.cached).toBe('hit');
      }
      // Another provider's options never reach this one, so they do not split its answers.
      const foreign = await make({ providerOptions: { [other]: { seed: 1 } } })
        .withCache(cache)
        .ask('Hi');
      expect(foreign.cached).toBe('hit');
      // A chain answers for its fallbacks too: another fallback's system prompt is another answer.
      const chain = (system: string) => make().withFallbacks([make({ system })]);
      await chain('Be brief.').withCache(cache).ask('Hi');
      await chain('Be thorough.').withCache(cache).ask('Hi');
      expect((await chain('Be brief.').withCache(cache).ask('Hi')).cached).toBe('hit');
      expect(server.hitCount(model)).toBe(settings.length + 2);
    },
  );

  it.each(providers)(
    '%s: a dropped stream is not cached; the next call goes to the server',
    async (_name, make) => {
      const base = _name === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5';
      const model = faultModel(base, { chunks: 5, drop_after: 2, fail_first: 1 });
      const cache = new ResponseCache();
      const llm = make(model).withCache(cache);
      const { error } = await drain(llm.stream('Hi'));
      expect(error).toBeInstanceOf(StreamInterruptedError);
      expect(cache.stats().size).toBe(0);
      const whole = llm.stream('Hi');
      await drain(whole);
      expect((await whole.finalReply()).text).toBe('w1 w2 w3 w4 w5');
      await llm.ask('Hi');
      expect(server.hitCount(model)).toBe(2);
    },
  );
});
