/**
 * `RedisCacheStore` against a real redis-server (see helpers/redis.ts) and the fault server, over
 * the real OpenAI SDK: shared by two processes, Redis killed and frozen mid-run, recovery.
 */
import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { type LLM, OpenAILLM, RedisCacheStore, ResponseCache, cacheKey } from '../lib/index.js';
import { FaultServer, faultModel } from '../lib/testing/index.js';
import { startLineWorker } from './helpers/line-worker.js';
import { type RedisServer, startRedis } from './helpers/redis.js';
import { drain } from './helpers/script.js';
import type { CacheWorkerAnswer, CacheWorkerConfig } from './workers/redis-cache.js';

let redis: RedisServer;
let server: FaultServer;
const clients: Redis[] = [];
let prefixes = 0;

beforeAll(async () => {
  [redis, server] = await Promise.all([startRedis(), FaultServer.start()]);
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.close();
  await redis?.stop();
});

/** A client that gives up on a down server quickly, as an application serving requests would. */
function connect(): Redis {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

const openai = (model: string): LLM =>
  new OpenAILLM(model, { apiKey: 'test-key', baseURL: server.openaiBaseURL });
/** Waits until `store` holds `n` entries. */
async function stored(store: RedisCacheStore, n: number): Promise<void> {
  while ((await store.count()) !== n) await new Promise((resolve) => setTimeout(resolve, 5));
}
const nextPrefix = (): string => `cache-test-${process.pid}-${++prefixes}`;

describe('RedisCacheStore', () => {
  it('shares replies between caches on different connections, and streams a hit', async () => {
    const prefix = nextPrefix();
    const model = faultModel('gpt-4o-mini', { chunks: 4 });
    server.resetHits();
    const store = new RedisCacheStore({ client: connect(), prefix });
    const a = openai(model).withCache({ store });
    const b = openai(model).withCache({ store: new RedisCacheStore({ client: connect(), prefix }) });
    const live = await a.ask('Hi');
    expect(live.cached).toBeUndefined();
    // The write is not awaited by the call (it never slows a reply): on another connection, wait for it.
    await stored(store, 1);
    const hit = await b.ask('Hi');
    expect(hit).toMatchObject({ text: live.text, cached: 'hit', attempts: [] });
    expect(hit.usage).toEqual(live.usage);
    const stream = b.stream('Hi');
    const { chunks } = await drain(stream);
    expect(chunks.join('')).toBe(live.text);
    expect(chunks.length).toBeGreaterThan(1);
    expect((await stream.finalReply()).cached).toBe('hit');
    expect(server.hitCount(model)).toBe(1);
  });

  it('treats a value of another version or shape as a miss', async () => {
    const prefix = nextPrefix();
    const client = connect();
    const model = faultModel('gpt-4o-mini', { text: 'fresh' });
    const key = cacheKey({ provider: 'openai', model, messages: [{ role: 'user', content: 'Hi' }] });
    const redisKey = `${prefix}:cache:{cache}:${key}`;
    const reply = {
      text: 'old',
      model,
      provider: 'openai',
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      finishReason: 'stop',
      raw: {},
    };
    const llm = openai(model).withCache({ store: new RedisCacheStore({ client, prefix }) });
    await client.set(redisKey, JSON.stringify({ v: 2, s: 0, r: reply }));
    expect((await llm.ask('Hi')).text).toBe('fresh'); // another version: a miss, then stored
    expect((await llm.ask('Hi')).cached).toBe('hit');
    await client.set(redisKey, JSON.stringify({ v: 1, s: 0, r: { ...reply, usage: 'many' } }));
    expect((await llm.ask('Hi')).cached).toBeUndefined(); // another shape
    await client.set(redisKey, 'not json');
    expect((await llm.ask('Hi')).cached).toBeUndefined();
  });

  it('expires entries by Redis TTL (ttl + staleIfError) and bounds the count and the value size', async () => {
    const prefix = nextPrefix();
    const client = connect();
    const store = new RedisCacheStore({ client, prefix, maxEntries: 3, maxValueBytes: 2_000 });
    const llm = openai('gpt-4o-mini').withCache({ ttl: 60_000, staleIfError: 30_000, store });
    for (const p of ['one', 'two', 'three', 'four', 'five']) await llm.ask(p);
    expect(await store.count()).toBe(3);
    expect((await llm.ask('five')).cached).toBe('hit');
    expect((await llm.ask('one')).cached).toBeUndefined(); // dropped: the oldest written
    const keys = await client.keys(`${prefix}:cache:{cache}:*`);
    const ttls = await Promise.all(keys.map((k) => client.pttl(k)));
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(80_000);
    for (const ttl of ttls) expect(ttl).toBeLessThanOrEqual(90_000);
    const big = openai(faultModel('gpt-4o-mini', { text: 'x'.repeat(3_000) })).withCache({ store });
    await big.ask('big');
    expect((await big.ask('big')).cached).toBeUndefined();
    await new ResponseCache({ store }).clear();
    expect(await store.count()).toBe(0);
  });

  it('is shared by two processes', async () => {
    const prefix = nextPrefix();
    const model = faultModel('gpt-4o-mini', { chunks: 3 });
    server.resetHits();
    const worker = startWorker({ redisUrl: redis.url, baseURL: server.openaiBaseURL, model, prefix });
    try {
      expect(await worker.next()).toBe('ready');
      const store = new RedisCacheStore({ client: connect(), prefix });
      const llm = openai(model).withCache({ store });
      const mine = await llm.ask('from the test process');
      await stored(store, 1);
      const theirs = await worker.ask('from the test process');
      expect(theirs).toEqual({ text: mine.text, cached: 'hit' });
      const first = await worker.ask('from the worker');
      expect(first.cached).toBeUndefined();
      await stored(store, 2);
      const again = await llm.ask('from the worker');
      expect(again).toMatchObject({ text: first.text, cached: 'hit' });
      expect(server.hitCount(model)).toBe(2);
    } finally {
      worker.child.stdin!.end();
    }
  }, 30_000);

  it('Redis killed mid-run: misses, no failed call, no wait beyond the store timeout; then recovery', async () => {
    const prefix = nextPrefix();
    const timeout = 100;
    const store = new RedisCacheStore({ client: connect(), prefix, timeout, retryInterval: 200 });
    const model = faultModel('gpt-4o-mini', { chunks: 2 });
    const llm = openai(model).withCache({ store });
    const prompts = ['a', 'b', 'c'];
    for (const p of prompts) await llm.ask(p);
    server.resetHits();

    /** Every prompt once; how each was answered and the longest call. */
    const round = async (): Promise<{ cached: (string | undefined)[]; slowest: number }> => {
      const cached: (string | undefined)[] = [];
      let slowest = 0;
      for (const p of prompts) {
        const started = performance.now();
        const reply = await llm.ask(p);
        slowest = Math.max(slowest, performance.now() - started);
        cached.push(reply.cached);
      }
      return { cached, slowest };
    };

    expect((await round()).cached).toEqual(['hit', 'hit', 'hit']);
    expect(server.hitCount(model)).toBe(0);

    // A crash while calls are in flight: every call still answers.
    const inFlight = Array.from({ length: 30 }, (_, i) => llm.ask(prompts[i % prompts.length]!));
    await redis.kill();
    const settled = await Promise.allSettled(inFlight);
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
    server.resetHits();
    const down = await round();
    expect(down.cached).toEqual([undefined, undefined, undefined]);
    expect(server.hitCount(model)).toBe(3);
    expect(store.health()).toMatchObject({ degraded: true });

    await redis.restart(); // empty
    await new Promise((resolve) => setTimeout(resolve, 500)); // reconnect, and past retryInterval
    await round(); // stores again (the first read after the interval probes Redis)
    const back = await round();
    expect(back.cached).toEqual(['hit', 'hit', 'hit']);
    expect(store.health().degraded).toBe(false);

    redis.pause(); // a hung server: connections stay open, nothing answers
    try {
      server.resetHits();
      const frozen = await round();
      expect(frozen.cached).toEqual([undefined, undefined, undefined]);
      expect(server.hitCount(model)).toBe(3);
      // One read waits the store's timeout; the others miss at once. Generous margin for a loaded machine.
      expect(frozen.slowest).toBeLessThan(timeout + 1_000);
      // Still frozen past retryInterval: the one read that tries Redis again times out too.
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect((await round()).cached).toEqual([undefined, undefined, undefined]);
      expect(store.health()).toMatchObject({ degraded: true });
    } finally {
      redis.resume();
    }
    // A failed retry leaves the next one allowed: once Redis answers, the cache is back.
    await new Promise((resolve) => setTimeout(resolve, 250));
    await round();
    expect((await round()).cached).toEqual(['hit', 'hit', 'hit']);
    expect(store.health().degraded).toBe(false);
  }, 30_000);

  it('serves an expired entry stale from Redis when the live call fails (freshness on Redis TTL)', async () => {
    const prefix = nextPrefix();
    const store = new RedisCacheStore({ client: connect(), prefix });
    // After a reset the next request fails (500), the one after answers.
    const model = faultModel('gpt-4o-mini', { status: 500, fail_first: 1, chunks: 3 });
    const llm = openai(model).withCache({ ttl: 1_500, staleIfError: 60_000, store });
    server.resetHits();
    await expect(llm.ask('Hi')).rejects.toMatchObject({ name: 'ServerError' });
    const live = await llm.ask('Hi');
    await stored(store, 1);
    expect((await llm.ask('Hi')).cached).toBe('hit');
    await new Promise((resolve) => setTimeout(resolve, 1_600)); // past the ttl, inside staleIfError
    server.resetHits();
    const stale = await llm.ask('Hi');
    expect(stale).toMatchObject({ text: live.text, cached: 'stale' });
    expect(stale.attempts.map((a) => a.outcome)).toEqual(['error']);
  });

  it('rejects bad options, naming them', () => {
    const client = connect();
    expect(() => new RedisCacheStore({ client: {} as never })).toThrow(/`client`/);
    expect(() => new RedisCacheStore({ client, maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => new RedisCacheStore({ client, timeout: 0 })).toThrow(/timeout/);
    expect(() => new RedisCacheStore({ client, prefix: '' })).toThrow(/prefix/);
  });
});

interface CacheWorker {
  readonly child: ChildProcess;
  next(): Promise<string>;
  ask(prompt: string): Promise<CacheWorkerAnswer>;
}

function startWorker(config: CacheWorkerConfig): CacheWorker {
  const worker = startLineWorker('redis-cache.ts', config, 'cache worker');
  return {
    ...worker,
    ask: async (prompt) => {
      worker.child.stdin!.write(`${prompt}\n`);
      return JSON.parse(await worker.next()) as CacheWorkerAnswer;
    },
  };
}
