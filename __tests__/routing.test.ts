import {
  type AskNext,
  CircuitBreaker,
  ContentFilterError,
  createEventBus,
  FallbackError,
  type LLM,
  type LLMRequest,
  MiddlewareLLM,
  route,
  RouteMiddleware,
  type RouteOptions,
  ServerError,
} from '../lib/index.js';
import { FnLLM, manualClock } from './helpers/guards.js';
import { seeded } from './helpers/script.js';

const down = (): ServerError => new ServerError('down', { status: 503 });

/** Runs `n` calls one after another; returns how many each member served (by model). */
async function split(llm: LLM, n: number, between: () => void = () => {}): Promise<Record<string, number>> {
  const served: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const reply = await llm.ask(`call ${i}`);
    served[reply.model] = (served[reply.model] ?? 0) + 1;
    between();
  }
  return served;
}

describe('route() strategies', () => {
  it('priority: every call goes to the first member while it answers (no exploring)', async () => {
    const a = new FnLLM('a');
    const b = new FnLLM('b');
    expect(await split(route([a, b], { random: seeded(1) }), 1000)).toEqual({ a: 1000 });
    expect(b.calls).toBe(0);
  });

  it('priority: a failing first member is tried, then the next serves the call', async () => {
    const a = new FnLLM('a', () => ({ error: down() }));
    const b = new FnLLM('b');
    expect(await split(route([a, b]), 1000)).toEqual({ b: 1000 });
    expect(a.calls).toBe(1000);
  });

  it('round-robin: each call starts one member further along', async () => {
    const llms = ['a', 'b', 'c'].map((m) => new FnLLM(m));
    expect(await split(route(llms, { strategy: 'round-robin' }), 1200)).toEqual({ a: 400, b: 400, c: 400 });
  });

  it('weighted: traffic follows the weights (seeded)', async () => {
    const llms = ['a', 'b', 'c'].map((m) => new FnLLM(m));
    const served = await split(
      route(llms, { strategy: 'weighted', weights: [6, 3, 1], random: seeded(7) }),
      2000,
    );
    expect(served.a! / 2000).toBeCloseTo(0.6, 1);
    expect(served.b! / 2000).toBeCloseTo(0.3, 1);
    expect(served.c! / 2000).toBeCloseTo(0.1, 1);
    expect(served.a! + served.b! + served.c!).toBe(2000);
  });

  it('weighted: a weight of 0 gets no traffic, but is still a fallback', async () => {
    const a = new FnLLM('a', (n) => (n % 2 === 0 ? { error: down() } : {}));
    const b = new FnLLM('b');
    const served = await split(
      route([a, b], { strategy: 'weighted', weights: [1, 0], random: seeded(3) }),
      1000,
    );
    expect(served).toEqual({ a: 500, b: 500 });
    expect(b.calls).toBe(500);
  });

  it('least-busy: sequential calls split evenly at random, concurrent ones by calls in flight', async () => {
    const a = new FnLLM('a');
    const b = new FnLLM('b');
    const served = await split(route([a, b], { strategy: 'least-busy', random: seeded(11) }), 1000);
    expect(served.a! / 1000).toBeCloseTo(0.5, 1);

    // 1000 calls at once, each held until all have started: they alternate.
    const gate = deferredGate();
    const held = (m: string) => new FnLLM(m, async () => (await gate.promise, {}));
    const [c, d] = [held('c'), held('d')];
    const busy = route([c, d], { strategy: 'least-busy', random: seeded(12) });
    const calls = Array.from({ length: 1000 }, (_, i) => busy.ask(`call ${i}`));
    gate.open();
    const models = (await Promise.all(calls)).map((r) => r.model);
    expect(models.filter((m) => m === 'c')).toHaveLength(500);
    expect(Math.max(c.maxInFlight, d.maxInFlight)).toBe(500);
  });

  it('least-busy: a member with calls stuck in flight gets no new traffic', async () => {
    const stuck = deferredGate();
    const a = new FnLLM('a', async (n) => (n <= 5 ? (await stuck.promise, {}) : {}));
    const b = new FnLLM('b');
    const llm = route([a, b], { strategy: 'least-busy', random: seeded(5) });
    const first = Array.from({ length: 10 }, (_, i) => llm.ask(`warm ${i}`)); // 5 land on a and stay
    expect(a.calls).toBe(5);
    await new Promise((resolve) => setImmediate(resolve)); // b's five answer
    expect(await split(llm, 1000)).toEqual({ b: 1000 });
    stuck.open();
    await Promise.all(first);
  });

  it('latency: the faster member gets the traffic, the slower is still explored', async () => {
    const clock = manualClock();
    const slow = new FnLLM('slow', () => (clock.advance(300), {}));
    const fast = new FnLLM('fast', () => (clock.advance(40), {}));
    const llm = route([slow, fast], { strategy: 'latency', now: clock.now, random: seeded(21) });
    const served = await split(llm, 2000, () => clock.advance(10));
    expect(served.fast! / 2000).toBeGreaterThan(0.9);
    expect(served.slow! / 2000).toBeGreaterThan(0.03); // explored about 5 % of the time
    expect(served.slow! / 2000).toBeLessThan(0.08);
  });

  it('latency: explore 0 never tries the slower member once the faster is known', async () => {
    const clock = manualClock();
    const slow = new FnLLM('slow', (n) => (n === 1 ? { error: down() } : (clock.advance(300), {})));
    const fast = new FnLLM('fast', () => (clock.advance(40), {}));
    const llm = route([slow, fast], { strategy: 'latency', explore: 0, now: clock.now });
    expect(await split(llm, 1000)).toEqual({ fast: 1000 });
    expect(slow.calls).toBe(1); // only the first call, before anything was known
  });

  it('explore sends its share of calls to another member than the pick, chosen at random, and says so', async () => {
    const llms = ['a', 'b', 'c'].map((m) => new FnLLM(m));
    const bus = createEventBus();
    const reasons: Record<string, number> = {};
    bus.on('routed', ({ member, reason }) => {
      const key = `${member} ${reason}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    });
    const llm = route(llms, { strategy: 'success-rate', explore: 0.2, random: seeded(8) }).withEvents(bus);
    const served = await split(llm, 2000);
    expect(reasons['openai:a pick']).toBe(served.a);
    expect(reasons['openai:a explore']).toBeUndefined(); // the pick is never "explored"
    expect(served.b! + served.c!).toBe(reasons['openai:b explore']! + reasons['openai:c explore']!);
    expect((served.b! + served.c!) / 2000).toBeCloseTo(0.2, 1);
    expect(served.b! / (served.b! + served.c!)).toBeCloseTo(0.5, 1);
  });

  it('success-rate: a member failing 50 % loses its traffic within one window and wins it back after recovery', async () => {
    const clock = manualClock();
    const health = { failing: false };
    const a = new FnLLM('a', (n) => (health.failing && n % 2 === 0 ? { error: down() } : {}));
    const b = new FnLLM('b');
    const llm = route([a, b], {
      strategy: 'success-rate',
      window: 60_000,
      now: clock.now,
      random: seeded(31),
    });
    const tick = (): void => clock.advance(100); // 600 calls per window

    const healthy = await split(llm, 600, tick);
    expect(healthy.a! / 600).toBeGreaterThan(0.9); // healthy: the first member serves, b is explored

    health.failing = true;
    const aBefore = a.calls;
    await split(llm, 600, tick); // one window of trouble
    const trouble = await split(llm, 1000, tick);
    expect(a.calls - aBefore).toBeLessThan(0.15 * 1600);
    expect(trouble.b! / 1000).toBeGreaterThan(0.95); // every call still succeeds, b serves them
    expect(a.calls).toBeGreaterThan(aBefore + 1); // a is still explored now and then

    health.failing = false;
    await split(llm, 650, tick); // its failures age out of the window while explore sees it recover
    const recovered = await split(llm, 1000, tick);
    expect(recovered.a! / 1000).toBeGreaterThan(0.9);
  });

  it('skips a member whose circuit is open without a request', async () => {
    const a = new FnLLM('a', () => ({ error: down() }));
    const breaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeout: 60_000 });
    const b = new FnLLM('b');
    const llm = route([a.withCircuitBreaker(breaker), b]);
    await split(llm, 2);
    expect(breaker.state).toBe('open');
    const bus = createEventBus();
    const fallbacks: unknown[] = [];
    bus.on('fallback', (e) => fallbacks.push(e));
    expect(await split(llm.withEvents(bus), 1000)).toEqual({ b: 1000 });
    expect(a.calls).toBe(2);
    expect(fallbacks).toHaveLength(0); // skipped up front, not tried and refused
  });

  it('tries members with open circuits last, each refusing at once: FallbackError of the refusals', async () => {
    const a = new FnLLM('a', () => ({ error: down() }));
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 60_000 });
    const b = new FnLLM('b', () => ({ error: down() }));
    const llm = route([a.withCircuitBreaker(breaker), b]);
    await expect(llm.ask('x')).rejects.toBeInstanceOf(FallbackError);
    const error = await llm.ask('y').catch((e: unknown) => e);
    expect((error as FallbackError).errors.map((e) => (e as Error).name)).toEqual([
      'ServerError',
      'CircuitOpenError',
    ]);
    expect(a.calls).toBe(1);
  });

  it('skips a member that cannot take the request (UnsupportedRequestError), whatever fallbackCondition says', async () => {
    class UnsupportedRequestError extends Error {
      override readonly name = 'UnsupportedRequestError';
    }
    const a = new FnLLM('a', () => ({ error: new UnsupportedRequestError('no images') }));
    const b = new FnLLM('b');
    const llm = route([a, b], { fallbackCondition: () => false });
    expect((await llm.ask('x')).model).toBe('b');
  });

  it('follows the fallback rules: condition, onFallback, FallbackError in order', async () => {
    const seen: string[] = [];
    const a = new FnLLM('a', () => ({ error: down() }));
    const b = new FnLLM('b', () => ({ error: new ContentFilterError('no') }));
    const c = new FnLLM('c');
    const onFallback = (_e: unknown, next: LLM): void => void seen.push(next.model);
    await expect(route([a, b, c], { onFallback }).ask('x')).rejects.toBeInstanceOf(ContentFilterError);
    expect(seen).toEqual(['b']);
    expect(c.calls).toBe(0);
    const all = route([a, new FnLLM('d', () => ({ error: down() }))]);
    const error = (await all.ask('x').catch((e: unknown) => e)) as FallbackError;
    expect(error).toBeInstanceOf(FallbackError);
    expect(error.errors).toHaveLength(2);
  });

  it('is an LLM like any other: composes, describes itself, reports its members', async () => {
    const a = new FnLLM('a', (n) => (n === 1 ? { error: down() } : {}));
    const llm = route([a, new FnLLM('b')], { strategy: 'latency', hedge: { after: 'p95' } });
    expect(llm).toBeInstanceOf(MiddlewareLLM);
    expect(llm.middleware).toBeInstanceOf(RouteMiddleware);
    expect(llm.withRetry(2).describe()).toBe('retry(route[latency, hedge p95](openai:a, openai:b) ×3)');
    expect((await llm.withRetry(2).ask('x')).model).toBe('b');
    const [ra, rb] = llm.middleware.memberStats();
    expect(ra).toMatchObject({ member: 0, requests: 1, successRate: 0 });
    expect(rb).toMatchObject({ member: 1, requests: 1, successRate: 1 });
  });
});

describe('route() in a chain', () => {
  it('composes with fallbacks and with a user layer, in either order', async () => {
    const a = new FnLLM('a', () => ({ error: down() }));
    const b = new FnLLM('b', () => ({ error: down() }));
    const c = new FnLLM('c', () => ({ text: 'from c' }));
    const seen: string[] = [];
    const tag = { name: 'tag', wrapAsk: async (r: LLMRequest, next: AskNext) => (seen.push('tag'), next(r)) };
    const outer = route([a, b]).withFallbacks([c]).use(tag);
    expect((await outer.ask('x')).text).toBe('from c');
    expect(outer.describe()).toBe('tag(fallback(route[priority](openai:a, openai:b), openai:c))');
    const inner = route([a.use(tag), c]);
    expect((await inner.ask('x')).text).toBe('from c');
    expect(seen).toEqual(['tag', 'tag']);
  });

  it('types its options', () => {
    const a = new FnLLM('a');
    // @ts-expect-error: not a strategy
    expect(() => route([a], { strategy: 'fastest' })).toThrow(TypeError);
    // @ts-expect-error: `after` is ms or 'p95'
    expect(() => route([a], { hedge: { after: 'p99' } })).toThrow(TypeError);
    // @ts-expect-error: `hedge` needs `after`
    expect(() => route([a], { hedge: { maxExtra: 2 } })).toThrow(TypeError);
  });
});

describe('route() options', () => {
  const llms = [new FnLLM('a'), new FnLLM('b')];
  it.each<[string, unknown, RegExp]>([
    ['an empty list', [], /`llms` must be a non-empty array/],
    ['a non-LLM member', [llms[0], {}], /`llms\[1\]` must be an LLM, got an object/],
  ])('rejects %s', (_, list, message) => {
    expect(() => route(list as LLM[])).toThrow(message);
  });

  it.each<[RouteOptions, RegExp]>([
    [{ strategy: 'fastest' as never }, /`strategy` must be one of .*got "fastest"/],
    [{ strategy: 'weighted' }, /`weights` is required/],
    [{ strategy: 'weighted', weights: [1] }, /`weights` must be an array of 2 numbers/],
    [{ strategy: 'weighted', weights: [0, 0] }, /at least one weight > 0/],
    [{ strategy: 'weighted', weights: [1, -1] }, /`weights\[1\]` must be a finite number ≥ 0, got -1/],
    [{ weights: [1, 1] }, /`weights` applies only to `strategy: "weighted"`/],
    [{ explore: 1.5 }, /`explore` must be a share between 0 and 1, got 1.5/],
    [{ window: 0 }, /`window` must be a finite number ≥ 1, got 0/],
    [{ hedge: { after: 'p99' as never } }, /`hedge.after` must be a number of ms or 'p95', got "p99"/],
    [{ hedge: { after: -5 } }, /`hedge.after` must be a finite number ≥ 0, got -5/],
    [{ hedge: { after: 10, maxExtra: 0 } }, /`hedge.maxExtra` must be an ≥ 1 integer, got 0/],
    [{ random: 4 as never }, /`random` must be a function, got 4/],
    [
      { stratgy: 'latency' } as never,
      /Unknown option `stratgy` in `route` options; did you mean `strategy`\?/,
    ],
    [
      { hedge: { after: 10, maxExtras: 2 } } as never,
      /Unknown option `maxExtras` in `route` option `hedge`; did you mean `maxExtra`\?/,
    ],
  ])('rejects %j', (options, message) => {
    expect(() => route(llms, options)).toThrow(message);
  });
});

function deferredGate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
