/**
 * `RedisStateStore` against a real redis-server: shared breaker and limiter semantics, keys and
 * TTLs, the clock rule, validation, and what calls do when Redis dies, hangs, and comes back.
 * Set RESILIENT_LLM_FIGURES=1 to print the call-by-call record of the fault test.
 */
import Redis, { type RedisOptions } from 'ioredis';
import {
  CircuitBreaker,
  CircuitOpenError,
  createEventBus,
  type LLM,
  OpenAILLM,
  OverloadedError,
  RateLimitedError,
  RateLimiter,
  RedisStateStore,
  type StoreErrorPolicy,
  type StoreStatusChange,
  StoreUnavailableError,
} from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { callContext, FnLLM } from './helpers/guards.js';
import { type RedisServer, startRedis } from './helpers/redis.js';

let redis: RedisServer;
let server: FaultServer;
const clients: Redis[] = [];
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
  server = await FaultServer.start();
}, 20_000);

afterAll(async () => {
  // Wait until every connection has really closed. A bare disconnect() left ioredis' own timer
  // (disconnectTimeout, 2 s by default; 100 ms here) running, and jest "did not exit one second
  // after the test run".
  await Promise.all(clients.map(closed));
  await server?.close();
  await redis?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Disconnects `client`; a connected one resolves once its socket has closed. (A client of a
 * Redis already stopped has no socket left to close: disconnect() just ends its reconnecting.)
 */
function closed(client: Redis): Promise<void> {
  const ended =
    client.status === 'ready'
      ? new Promise<void>((resolve) => client.once('end', () => resolve()))
      : undefined;
  client.disconnect();
  return ended ?? Promise.resolve();
}

/** An ioredis client that reconnects quickly and never queues a command for long. */
function connect(url = redis.url, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    retryStrategy: () => 20,
    maxRetriesPerRequest: 1,
    disconnectTimeout: 100,
    ...options,
  });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

/** Two stores on two connections with one fresh prefix: two processes, as far as Redis can tell. */
function twoStores(
  options: Partial<ConstructorParameters<typeof RedisStateStore>[0]> = {},
): [RedisStateStore, RedisStateStore, string] {
  const prefix = `store-test-${++prefixes}`;
  return [
    new RedisStateStore({ client: connect(), prefix, ...options }),
    new RedisStateStore({ client: connect(), prefix, ...options }),
    prefix,
  ];
}

const overloaded = (): OverloadedError =>
  new OverloadedError('overloaded', { provider: 'openai', model: 'm' });

async function outcome(llm: LLM): Promise<unknown> {
  try {
    await llm.ask('hi');
    return 'ok';
  } catch (error) {
    return error;
  }
}

describe('RedisStateStore: a shared CircuitBreaker', () => {
  it('is one circuit for every breaker of its name: they open, half-open and close together', async () => {
    const [s1, s2] = twoStores();
    const options = {
      name: 'shared',
      failureThreshold: 3,
      recoveryTimeout: 150,
      halfOpenMaxCalls: 2,
      successThreshold: 2,
    };
    const b1 = new CircuitBreaker({ ...options, store: s1 });
    const b2 = new CircuitBreaker({ ...options, store: s2 });
    const seen: string[][] = [[], []];
    b1.on('stateChange', ({ from, to }) => seen[0]!.push(`${from}→${to}`));
    b2.on('stateChange', ({ from, to }) => seen[1]!.push(`${from}→${to}`));
    let down = true;
    const inner = new FnLLM('m', async () => {
      await sleep(40);
      return down ? { error: overloaded() } : {};
    });
    const a = inner.withCircuitBreaker(b1);
    const b = inner.withCircuitBreaker(b2);

    // Three failures between them open the one circuit.
    expect(await outcome(a)).toBeInstanceOf(OverloadedError);
    expect(await outcome(b)).toBeInstanceOf(OverloadedError);
    expect(await outcome(a)).toBeInstanceOf(OverloadedError);
    expect((await b1.fetchState()).state).toBe('open');
    expect(await outcome(b)).toBeInstanceOf(CircuitOpenError);
    expect(await outcome(a)).toBeInstanceOf(CircuitOpenError);
    expect(inner.calls).toBe(3);

    // Half-open: six callers at once on the two breakers, exactly two probes in all.
    await sleep(160);
    down = false;
    const six = await Promise.all([a, b, a, b, a, b].map(outcome));
    expect(inner.calls).toBe(5);
    expect(six.filter((o) => o === 'ok')).toHaveLength(2);
    expect(six.filter((o) => o instanceof CircuitOpenError && /probe slot/.test(o.message))).toHaveLength(4);

    // Two probe successes close it for both. (Each breaker sends its outcomes on its own
    // connection: a read on each first makes sure both have reached Redis.)
    await Promise.all([b1.fetchState(), b2.fetchState()]);
    expect((await b1.fetchState()).state).toBe('closed');
    expect((await b2.fetchState()).state).toBe('closed');
    for (const changes of seen)
      expect(changes).toEqual(['closed→open', 'open→half_open', 'half_open→closed']);
    expect(b2.describeState()).toMatchObject({
      store: 'redis',
      degraded: false,
      failures: 0,
      probesInFlight: 0,
    });
  });

  it('frees the slot of a probe whose process died once its lease expires', async () => {
    const [s1, s2] = twoStores({ probeLease: 200 });
    const options = { name: 'lease', failureThreshold: 1, recoveryTimeout: 20 };
    const b1 = new CircuitBreaker({ ...options, store: s1 });
    const b2 = new CircuitBreaker({ ...options, store: s2 });
    const who = { provider: 'openai', model: 'm' } as const;
    b1._settle(await b1._enter(callContext(), who), 'failure', callContext());
    await sleep(30);
    const probe = await b1._enter(callContext(), who); // taken, and never settled: its process "died"
    expect(probe.probe).toBe(true);
    await expect(b2._enter(callContext(), who)).rejects.toThrow(/probe slot/);
    await sleep(220);
    expect((await b2._enter(callContext(), who)).probe).toBe(true);
  });

  it('keeps the time open by Redis’ clock, whatever the processes’ clocks say', async () => {
    const [s1, s2] = twoStores();
    const options = { name: 'skew', failureThreshold: 1, recoveryTimeout: 200 };
    const ahead = new CircuitBreaker({ ...options, store: s1, now: () => Date.now() + 3_600_000 });
    const behind = new CircuitBreaker({ ...options, store: s2, now: () => Date.now() - 3_600_000 });
    const fails = new FnLLM('m', () => ({ error: overloaded() }));
    await outcome(fails.withCircuitBreaker(ahead));
    await ahead.fetchState();
    const refused = await outcome(new FnLLM('m').withCircuitBreaker(behind));
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect((refused as CircuitOpenError).retryAfterMs).toBeGreaterThan(150);
    expect((refused as CircuitOpenError).retryAfterMs).toBeLessThanOrEqual(200);
    await sleep(210);
    expect(await outcome(new FnLLM('m').withCircuitBreaker(behind))).toBe('ok'); // the probe
  });
});

describe('RedisStateStore: a shared RateLimiter', () => {
  it('is one window for every limiter of its name', async () => {
    const [s1, s2] = twoStores();
    const options = {
      name: 'window',
      requestsPerMinute: 3,
      tokensPerMinute: 100,
      windowMs: 300,
      maxWait: 1_000,
    };
    const l1 = new RateLimiter({ ...options, store: s1 });
    const l2 = new RateLimiter({ ...options, store: s2 });
    await l1.acquire(10);
    const ticket = await l1.acquire(60);
    expect(await l2.check(30)).toEqual({ ok: true, waitMs: 0 });
    expect((await l2.check(31)).ok).toBe(false);
    ticket.reconcile(20); // the real usage: later admissions see it
    await l1.fetchState();
    expect(await l2.check(70)).toEqual({ ok: true, waitMs: 0 });
    await l2.acquire(5);
    expect(await l2.fetchState()).toMatchObject({
      requestsInWindow: 3,
      tokensInWindow: 35,
      remainingRequests: 0,
    });
    const waiting = await l2.check();
    expect(waiting.ok).toBe(false);
    expect(waiting.waitMs).toBeGreaterThan(250);
    const started = Date.now();
    const fourth = await l2.acquire();
    expect(fourth.waitedMs).toBeGreaterThan(250);
    expect(Date.now() - started).toBeLessThan(400);
  });

  it('refuses at once a wait past maxWait, and a call that can never fit', async () => {
    const [s1] = twoStores();
    const limiter = new RateLimiter({
      name: 'refuse',
      store: s1,
      requestsPerMinute: 1,
      tokensPerMinute: 50,
      windowMs: 500,
      maxWait: 100,
    });
    await limiter.acquire();
    const late = await limiter.acquire().catch((e: unknown) => e);
    expect(late).toBeInstanceOf(RateLimitedError);
    expect((late as RateLimitedError).retryAfterMs).toBeGreaterThan(400);
    const never = await limiter.acquire(51).catch((e: unknown) => e);
    expect(never).toBeInstanceOf(RateLimitedError);
    expect((never as RateLimitedError).retryAfterMs).toBeUndefined();
    expect(await limiter.check(51)).toEqual({ ok: false, waitMs: Infinity });
  });

  it('holds every process when one sees the provider’s limit used up', async () => {
    const [s1, s2] = twoStores();
    const options = { name: 'pacing', requestsPerMinute: 100, windowMs: 1_000 };
    const l1 = new RateLimiter({ ...options, store: s1 });
    const l2 = new RateLimiter({ ...options, store: s2 });
    l1.observeHeaders(
      'openai',
      new Headers({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '300ms' }),
    );
    await l1.fetchState(); // after the hold, on the same connection
    const { ok, waitMs } = await l2.check();
    expect(ok).toBe(false);
    expect(waitMs).toBeGreaterThan(250);
    expect(waitMs).toBeLessThanOrEqual(300);
    expect((await l2.fetchState()).heldForMs).toBeGreaterThan(250);
  });

  it('measures the window by Redis’ clock: processes an hour apart share it exactly', async () => {
    const [s1, s2] = twoStores();
    const options = { name: 'clock', requestsPerMinute: 1, windowMs: 200, maxWait: 1_000 };
    const ahead = new RateLimiter({ ...options, store: s1, now: () => Date.now() + 3_600_000 });
    const behind = new RateLimiter({ ...options, store: s2, now: () => Date.now() - 3_600_000 });
    await ahead.acquire();
    const started = Date.now();
    const ticket = await behind.acquire();
    expect(Date.now() - started).toBeGreaterThan(150);
    expect(Date.now() - started).toBeLessThan(300);
    expect(ticket.waitedMs).toBeGreaterThan(150);
  });

  it('is used through `await check()`: canProceed() cannot answer for a shared window', () => {
    const [s1] = twoStores();
    const limiter = new RateLimiter({ name: 'sync', store: s1, requestsPerMinute: 1 });
    expect(() => limiter.canProceed()).toThrow(/await limiter\.check/);
  });
});

describe('RedisStateStore: keys', () => {
  it('start with the prefix, are tagged by guard name, and all carry a TTL', async () => {
    const [s1, , prefix] = twoStores({ idleTtl: 5_000 });
    const breaker = new CircuitBreaker({
      name: 'keys',
      store: s1,
      failureThreshold: 1,
      recoveryTimeout: 1_000,
    });
    const limiter = new RateLimiter({ name: 'keys', store: s1, requestsPerMinute: 5, windowMs: 2_000 });
    const llm = new FnLLM('m', () => ({ error: overloaded() }))
      .withCircuitBreaker(breaker)
      .withRateLimit(limiter);
    await outcome(llm);
    limiter.observeHeaders(
      'openai',
      new Headers({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' }),
    );
    await breaker.fetchState();
    await limiter.fetchState();
    const client = connect();
    const keys = (await client.keys(`${prefix}:*`)).sort();
    expect(keys).toEqual([
      `${prefix}:cb:{keys}`,
      `${prefix}:rl:{keys}`,
      `${prefix}:rl:{keys}:hold`,
      `${prefix}:rl:{keys}:tokens`,
    ]);
    const ttls = Object.fromEntries(
      await Promise.all(keys.map(async (k) => [k, await client.pttl(k)] as const)),
    );
    expect(ttls[`${prefix}:cb:{keys}`]).toBeGreaterThan(5_000); // recoveryTimeout + idleTtl
    expect(ttls[`${prefix}:cb:{keys}`]).toBeLessThanOrEqual(6_000);
    expect(ttls[`${prefix}:rl:{keys}`]).toBeGreaterThan(2_000); // a window after the last start, and a second
    expect(ttls[`${prefix}:rl:{keys}`]).toBeLessThanOrEqual(3_000);
    expect(ttls[`${prefix}:rl:{keys}:hold`]).toBeGreaterThan(0);
    expect(ttls[`${prefix}:rl:{keys}:hold`]).toBeLessThanOrEqual(1_000);
  });
});

describe('RedisStateStore: options', () => {
  it('are validated when built, naming the option', () => {
    const [store] = twoStores();
    expect(() => new CircuitBreaker({ store })).toThrow(/needs a `name`/);
    expect(() => new RateLimiter({ requestsPerMinute: 1, store })).toThrow(/needs a `name`/);
    expect(
      () => new CircuitBreaker({ name: 'x', store, onStoreError: 'sometimes' as StoreErrorPolicy }),
    ).toThrow(/`onStoreError` must be 'fail-open' or 'fail-closed'/);
    expect(() => new RateLimiter({ name: 'x', requestsPerMinute: 1, store: {} as RedisStateStore })).toThrow(
      /`store` must be a StateStore/,
    );
    expect(() => new RedisStateStore({ client: {} as Redis })).toThrow(/`client` must be an ioredis client/);
    expect(() => new RedisStateStore({ client: connect(), timeout: 0 })).toThrow(RangeError);
    expect(() => new RedisStateStore({ client: connect(), prefix: '' })).toThrow(/`prefix`/);
    // withCircuitBreaker(options) names the breaker after the LLM it guards.
    expect(() => new FnLLM('m').withCircuitBreaker({ store })).not.toThrow();
  });
});

/** One call of the fault test, as the caller saw it. */
interface CallRecord {
  readonly at: number;
  readonly policy: StoreErrorPolicy;
  readonly outcome: string;
  readonly ms: number;
}

/** A chain behind a limiter and a breaker that share their state in `store`, under `policy`. */
function guarded(store: RedisStateStore, policy: StoreErrorPolicy, events: StoreStatusChange[]) {
  const breaker = new CircuitBreaker({
    name: `cb-${policy}`,
    store,
    onStoreError: policy,
    failureThreshold: 3,
  });
  const limiter = new RateLimiter({
    name: `rl-${policy}`,
    store,
    onStoreError: policy,
    requestsPerMinute: 1_000,
    windowMs: 1_000,
  });
  breaker.on('storeStatus', (e) => events.push(e));
  limiter.on('storeStatus', (e) => events.push(e));
  const bus = createEventBus();
  const onBus: StoreStatusChange[] = [];
  bus.on('storeStatus', (e) => onBus.push(e));
  const llm = new OpenAILLM('gpt-4o~latency=5', { apiKey: 'test', baseURL: server.openaiBaseURL })
    .withRateLimit(limiter)
    .withCircuitBreaker(breaker)
    .withEvents(bus);
  return { breaker, limiter, llm, onBus };
}

/** Compresses a call record into runs of one outcome: `0–480 ms ok ×12 (≤ 9 ms)`. */
function timeline(calls: readonly CallRecord[]): string[] {
  const runs: { from: number; to: number; outcome: string; n: number; max: number }[] = [];
  for (const c of calls) {
    const last = runs[runs.length - 1];
    if (last && last.outcome === c.outcome) {
      last.to = c.at;
      last.n++;
      last.max = Math.max(last.max, c.ms);
    } else runs.push({ from: c.at, to: c.at, outcome: c.outcome, n: 1, max: c.ms });
  }
  return runs.map((r) => `${r.from}–${r.to} ms: ${r.outcome} ×${r.n} (slowest ${r.max} ms)`);
}

describe('RedisStateStore: when Redis fails', () => {
  it('killed mid-run and restarted: fail-open goes on locally, fail-closed refuses, no call hangs, shared state resumes', async () => {
    const own = await startRedis();
    try {
      const client = connect(own.url);
      await client.ping();
      // One store per policy (on one connection): guards on one store share its reachability, and this
      // test wants a slow first call of one chain, under a loaded machine, to leave the other alone.
      const store = (): RedisStateStore =>
        new RedisStateStore({ client, prefix: 'fault', timeout: 250, retryInterval: 200 });
      const events: StoreStatusChange[] = [];
      const chains = {
        'fail-open': guarded(store(), 'fail-open', events),
        'fail-closed': guarded(store(), 'fail-closed', events),
      };
      const calls: CallRecord[] = [];
      const t0 = Date.now();
      const elapsed = (): number => Date.now() - t0;
      let killStartedAt = Infinity;
      let killedAt = Infinity;
      let restartedAt = Infinity;
      const chaos = (async () => {
        await sleep(500);
        killStartedAt = elapsed();
        await own.kill('SIGKILL');
        killedAt = elapsed();
        await sleep(800);
        await own.restart();
        restartedAt = elapsed();
      })();
      while (elapsed() < 2_400) {
        await Promise.all(
          (['fail-open', 'fail-closed'] as const).map(async (policy) => {
            const at = elapsed();
            let result = 'ok';
            try {
              await chains[policy].llm.ask('hi');
            } catch (error) {
              result = (error as Error).name;
            }
            calls.push({ at, policy, outcome: result, ms: elapsed() - at });
          }),
        );
        await sleep(30);
      }
      await chaos;
      const of = (policy: StoreErrorPolicy, from: number, to: number) =>
        calls.filter((c) => c.policy === policy && c.at >= from && c.at < to);
      if (process.env.RESILIENT_LLM_FIGURES) {
        console.log(
          `Redis SIGKILLed at ${killedAt} ms, restarted at ${restartedAt} ms\n` +
            (['fail-open', 'fail-closed'] as const)
              .map((p) => `${p}:\n  ${timeline(calls.filter((c) => c.policy === p)).join('\n  ')}`)
              .join('\n') +
            `\nevents: ${events.map((e) => `${e.guard} ${e.status}`).join(', ')}`,
        );
      }

      // No call hung: each took at most the store's timeout (250 ms) and a little more.
      expect(Math.max(...calls.map((c) => c.ms))).toBeLessThan(600);
      // Every call that ended before the kill began served (one in flight at the kill may not have);
      // during the outage, the policy held.
      const before = calls.filter((c) => c.at + c.ms < killStartedAt);
      expect(before.length).toBeGreaterThan(4);
      for (const c of before) expect(c.outcome).toBe('ok');
      const outage = of('fail-open', killedAt + 50, restartedAt);
      expect(outage.length).toBeGreaterThan(10);
      for (const c of outage) expect(c.outcome).toBe('ok');
      const refused = of('fail-closed', killedAt + 50, restartedAt);
      expect(refused.length).toBeGreaterThan(10);
      for (const c of refused) expect(c.outcome).toBe('StoreUnavailableError');
      // After the restart (a reconnect, then at most retryInterval), both serve again.
      const after = [
        ...of('fail-open', restartedAt + 400, Infinity),
        ...of('fail-closed', restartedAt + 400, Infinity),
      ];
      expect(after.length).toBeGreaterThan(10);
      for (const c of after) expect(c.outcome).toBe('ok');
      // Each guard that met the outage said so once each way, on its own emitter and on the chain's
      // bus. (Under fail-closed the breaker, outermost, refuses first: its limiter may never see it.)
      const statuses = (guard: string, list: readonly StoreStatusChange[]) =>
        list.filter((e) => e.guard === guard).map((e) => e.status);
      for (const guard of ['cb-fail-open', 'rl-fail-open', 'cb-fail-closed']) {
        const policy = guard.endsWith('open') ? 'fail-open' : 'fail-closed';
        expect(statuses(guard, events)).toEqual(['degraded', 'recovered']);
        expect(statuses(guard, chains[policy].onBus)).toEqual(['degraded', 'recovered']);
      }
      expect([0, 2]).toContain(statuses('rl-fail-closed', events).length);
      for (const policy of ['fail-open', 'fail-closed'] as const) {
        expect(chains[policy].breaker.describeState().degraded).toBe(false);
        expect(chains[policy].limiter.describeState().degraded).toBe(false);
      }
      expect(events.find((e) => e.status === 'degraded')).toMatchObject({
        kind: 'circuit_breaker',
        store: 'redis',
      });

      // The state is shared again: the new Redis holds the limiters' windows, and a breaker
      // opened from another connection stops these chains.
      const fresh = connect(own.url);
      expect((await chains['fail-open'].limiter.fetchState()).requestsInWindow).toBeGreaterThan(0);
      const other = new CircuitBreaker({
        name: 'cb-fail-open',
        store: new RedisStateStore({ client: fresh, prefix: 'fault' }),
        failureThreshold: 3,
      });
      const failing = new FnLLM('m', () => ({ error: overloaded() })).withCircuitBreaker(other);
      for (let i = 0; i < 3; i++) await outcome(failing);
      await other.fetchState();
      expect(await outcome(chains['fail-open'].llm)).toBeInstanceOf(CircuitOpenError);
      expect(
        await fresh.exists('fault:cb:{cb-fail-open}', 'fault:rl:{rl-fail-open}', 'fault:rl:{rl-fail-closed}'),
      ).toBe(3);
    } finally {
      await own.stop();
    }
  }, 20_000);

  it('stops answering (SIGSTOP): a call waits at most the store timeout, the next ones skip the store, and it recovers', async () => {
    const own = await startRedis();
    try {
      const client = connect(own.url);
      await client.ping();
      const store = new RedisStateStore({ client, prefix: 'hang', timeout: 150, retryInterval: 400 });
      const events: StoreStatusChange[] = [];
      const open = guarded(store, 'fail-open', events);
      const closed = guarded(store, 'fail-closed', events);
      const timed = async (llm: LLM): Promise<{ outcome: unknown; ms: number }> => {
        const start = Date.now();
        const result = await outcome(llm);
        return { outcome: result, ms: Date.now() - start };
      };
      expect((await timed(open.llm)).outcome).toBe('ok');
      expect((await timed(closed.llm)).outcome).toBe('ok');
      own.pause();
      const [first, firstClosed] = await Promise.all([timed(open.llm), timed(closed.llm)]);
      expect(first.outcome).toBe('ok');
      // The breaker's store call times out; the limiter, on the same store, then skips it: one timeout, not two.
      expect(first.ms).toBeGreaterThanOrEqual(145);
      expect(first.ms).toBeLessThan(290);
      expect(firstClosed.outcome).toBeInstanceOf(StoreUnavailableError);
      expect((firstClosed.outcome as StoreUnavailableError).message).toMatch(/did not answer within 150 ms/);
      expect(firstClosed.outcome).toMatchObject({
        kind: 'store_unavailable',
        store: 'redis',
        retryable: false,
      });
      const [next, nextClosed] = await Promise.all([timed(open.llm), timed(closed.llm)]);
      expect(next).toMatchObject({ outcome: 'ok' });
      expect(next.ms).toBeLessThan(100); // within retryInterval: straight to local state, no 150 ms wait
      expect(nextClosed.outcome).toBeInstanceOf(StoreUnavailableError);
      expect(nextClosed.ms).toBeLessThan(100);
      own.resume();
      await sleep(450);
      expect((await timed(open.llm)).outcome).toBe('ok');
      expect((await timed(closed.llm)).outcome).toBe('ok');
      // The breaker (outermost) refused the fail-closed calls: that chain's limiter never waited.
      expect(events.map((e) => `${e.guard} ${e.status}`).sort()).toEqual(
        [
          'cb-fail-closed degraded',
          'cb-fail-closed recovered',
          'cb-fail-open degraded',
          'cb-fail-open recovered',
          'rl-fail-open degraded',
          'rl-fail-open recovered',
        ].sort(),
      );
    } finally {
      await own.stop();
    }
  }, 15_000);

  it("shares the store's outage between its guards (README setup, SIGSTOP): no call waits more than `timeout`", async () => {
    const own = await startRedis();
    try {
      const client = connect(own.url);
      await client.ping();
      const store = new RedisStateStore({ client, prefix: 'readme', timeout: 100, retryInterval: 400 });
      const limiter = new RateLimiter({ name: 'openai', store, requestsPerMinute: 500 });
      const breaker = new CircuitBreaker({ name: 'openai:gpt-4o', store, onStoreError: 'fail-open' });
      const events: string[] = [];
      limiter.on('storeStatus', (e) => events.push(`${e.guard} ${e.status}`));
      breaker.on('storeStatus', (e) => events.push(`${e.guard} ${e.status}`));
      const llm = new OpenAILLM('gpt-4o', { apiKey: 'test', baseURL: server.openaiBaseURL })
        .withRateLimit(limiter)
        .withCircuitBreaker(breaker);
      const timed = async (): Promise<{ outcome: unknown; ms: number }> => {
        const start = performance.now();
        const result = await outcome(llm);
        return { outcome: result, ms: performance.now() - start };
      };
      expect((await timed()).outcome).toBe('ok');
      own.pause();
      const first = await timed(); // the breaker waits `timeout`; the limiter knows the store is out
      const next = await timed(); // within retryInterval: neither guard waits
      await sleep(450);
      const again = await timed(); // one call tries the store again: one `timeout`, not one per guard
      own.resume();
      await sleep(450);
      const back = await timed();
      for (const c of [first, next, again, back]) expect(c.outcome).toBe('ok');
      expect(first.ms).toBeGreaterThanOrEqual(95);
      expect(first.ms).toBeLessThan(190);
      expect(next.ms).toBeLessThan(60);
      expect(again.ms).toBeGreaterThanOrEqual(95);
      expect(again.ms).toBeLessThan(190);
      expect(limiter.describeState().degraded).toBe(false);
      expect(breaker.describeState().degraded).toBe(false);
      // Each guard still tells each change once, when it meets it.
      expect(events).toEqual([
        'openai:gpt-4o degraded',
        'openai degraded',
        'openai:gpt-4o recovered',
        'openai recovered',
      ]);
    } finally {
      await own.stop();
    }
  }, 15_000);
});
