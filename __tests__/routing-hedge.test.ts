import {
  CircuitBreaker,
  createEventBus,
  FallbackError,
  type LLMEvents,
  route,
  ServerError,
  StreamInterruptedError,
  TimeoutError,
} from '../lib/index.js';
import { getEventListeners } from 'node:events';
import { drain, fakeTimersPerTest, ScriptLLM, seeded, settle } from './helpers/script.js';

const down = (): ServerError => new ServerError('down', { status: 503 });

fakeTimersPerTest();

/** An event bus that keeps the hedge-related events in order. */
function recorder(): { bus: ReturnType<typeof createEventBus>; log: string[] } {
  const bus = createEventBus();
  const log: string[] = [];
  bus.on('routed', (e: LLMEvents['routed']) => log.push(`routed ${e.member} (${e.reason})`));
  bus.on('hedge', (e: LLMEvents['hedge']) => log.push(`hedge ${e.from} -> ${e.to} after ${e.afterMs}`));
  bus.on('hedgeWin', (e: LLMEvents['hedgeWin']) => log.push(`hedgeWin ${e.winner}`));
  bus.on('fallback', (e: LLMEvents['fallback']) => log.push(`fallback ${e.from} -> ${e.to}`));
  return { bus, log };
}

describe('route() hedging (ask)', () => {
  it('starts the next member when the first has not answered in `after` ms; the first answer wins, the loser is aborted', async () => {
    const slow = new ScriptLLM('slow', [{ delayMs: 5_000, chunks: ['slow answer'] }]);
    const fast = new ScriptLLM('fast', [{ delayMs: 50, chunks: ['fast answer'] }]);
    const { bus, log } = recorder();
    const llm = route([slow, fast], { hedge: { after: 200 } }).withEvents(bus);
    const started = Date.now();
    const { value } = await settle(llm.ask('hi'));
    expect(value?.text).toBe('fast answer');
    expect(Date.now() - started).toBe(250);
    expect(log).toEqual([
      'routed openai:slow (pick)',
      'hedge openai:slow -> openai:fast after 200',
      'routed openai:fast (hedge)',
      'hedgeWin openai:fast',
    ]);
    const [won, lost] = value!.attempts; // in the order they ended
    expect(won).toMatchObject({ model: 'fast', outcome: 'success' });
    expect(lost).toMatchObject({ model: 'slow', outcome: 'error', durationMs: 250 });
    expect((lost!.error as Error).name).toBe('AbortError');
  });

  it('does not hedge when the first member answers in time', async () => {
    const primary = new ScriptLLM('primary', [{ delayMs: 150, chunks: ['quick'] }]);
    const backup = new ScriptLLM('backup', [{ chunks: ['backup'] }]);
    const { value } = await settle(route([primary, backup], { hedge: { after: 200 } }).ask('hi'));
    expect(value?.text).toBe('quick');
    expect(backup.calls).toBe(0);
    expect(value?.attempts).toHaveLength(1);
  });

  it('starts at most `maxExtra` hedges, each `after` ms after the previous request', async () => {
    const llms = ['a', 'b', 'c', 'd'].map((m) => new ScriptLLM(m, [{ delayMs: 1_000, chunks: [m] }]));
    const { bus, log } = recorder();
    const { value } = await settle(
      route(llms, { hedge: { after: 100, maxExtra: 2 } })
        .withEvents(bus)
        .ask('hi'),
    );
    expect(value?.text).toBe('a'); // a started first and answers first, at 1000 ms
    expect(llms.map((l) => l.calls)).toEqual([1, 1, 1, 0]);
    expect(log.filter((l) => l.startsWith('hedge '))).toEqual([
      'hedge openai:a -> openai:b after 100',
      'hedge openai:b -> openai:c after 100',
    ]);
    expect(value?.attempts.map((a) => `${a.model}:${a.outcome}`)).toEqual([
      'a:success',
      'b:error',
      'c:error',
    ]);
  });

  it("'p95' hedges only once the member has enough recent samples, at its recent p95", async () => {
    const steps = [...Array.from({ length: 20 }, (_, i) => ({ delayMs: 100 + i * 10 })), { delayMs: 10_000 }];
    const primary = new ScriptLLM('primary', steps);
    const backup = new ScriptLLM('backup', [{ delayMs: 20, chunks: ['backup'] }]);
    const { bus, log } = recorder();
    const llm = route([primary, backup], { hedge: { after: 'p95', minSamples: 20 } }).withEvents(bus);
    for (let i = 0; i < 20; i++) await settle(llm.ask(`warm ${i}`)); // 100 … 290 ms: no hedge yet
    expect(backup.calls).toBe(0);
    const started = Date.now();
    const { value } = await settle(llm.ask('slow one'));
    expect(value?.text).toBe('backup');
    expect(log.filter((l) => l.startsWith('hedge '))).toEqual([
      'hedge openai:primary -> openai:backup after 280',
    ]);
    expect(Date.now() - started).toBe(300);
  });

  it("'p95' holds below a 5 % slow tail: every slow request is hedged, and few fast ones (budget off)", async () => {
    const random = seeded(99);
    const steps = Array.from({ length: 1000 }, () =>
      random() < 0.05 ? { delayMs: 2_000, chunks: ['slow'] } : { delayMs: 50 + Math.floor(random() * 100) },
    );
    const slowCalls = steps.slice(20).filter((step) => step.delayMs === 2_000).length;
    const primary = new ScriptLLM('primary', steps);
    const backup = new ScriptLLM('backup', [{ delayMs: 30, chunks: ['backup'] }]);
    const llm = route([primary, backup], { hedge: { after: 'p95', budget: 1 } });
    const took: number[] = [];
    for (let i = 0; i < steps.length; i++) {
      const started = Date.now();
      await settle(llm.ask(`call ${i}`));
      if (i >= 20) took.push(Date.now() - started); // the first 20 build the sample 'p95' needs
    }
    expect(slowCalls).toBeGreaterThan(40);
    expect(Math.max(...took)).toBeLessThan(200); // hedged at about the fast requests' longest, 150 ms
    expect(backup.calls).toBeGreaterThanOrEqual(slowCalls);
    expect(backup.calls).toBeLessThanOrEqual(slowCalls + 10); // ≤ 1 % of fast requests hedged
  });

  it('a member failing before the hedge moves on at once (a fallback, not a hedge)', async () => {
    const a = new ScriptLLM('a', [{ delayMs: 30, error: down() }]);
    const b = new ScriptLLM('b', [{ delayMs: 40, chunks: ['b'] }]);
    const { bus, log } = recorder();
    const started = Date.now();
    const { value } = await settle(
      route([a, b], { hedge: { after: 200 } })
        .withEvents(bus)
        .ask('hi'),
    );
    expect(value?.text).toBe('b');
    expect(Date.now() - started).toBe(70);
    expect(log).toEqual([
      'routed openai:a (pick)',
      'fallback openai:a -> openai:b',
      'routed openai:b (fallback)',
    ]);
  });

  it('a hedge that fails leaves the first request running to its answer', async () => {
    const a = new ScriptLLM('a', [{ delayMs: 500, chunks: ['a'] }]);
    const b = new ScriptLLM('b', [{ delayMs: 10, error: down() }]);
    const c = new ScriptLLM('c', [{ chunks: ['c'] }]);
    const { value } = await settle(route([a, b, c], { hedge: { after: 100 } }).ask('hi'));
    expect(value?.text).toBe('a');
    expect(c.calls).toBe(0);
  });

  it("never counts a lost hedge in the loser's circuit breaker", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, countOn: [/./] }); // counts anything it is told of
    const slow = new ScriptLLM('slow', [{ delayMs: 5_000 }]);
    const fast = new ScriptLLM('fast', [{ delayMs: 10 }]);
    const llm = route([slow.withCircuitBreaker(breaker), fast], { hedge: { after: 100 } });
    for (let i = 0; i < 3; i++) expect((await settle(llm.ask('hi'))).value?.model).toBe('fast');
    expect(breaker.state).toBe('closed');
    expect(slow.calls).toBe(3);
  });

  it('never hedges to a member whose circuit is open', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 60_000 });
    const broken = new ScriptLLM('broken', [{ error: down() }]);
    await settle(
      broken
        .withCircuitBreaker(breaker)
        .ask('trip it')
        .catch(() => {}),
    );
    expect(breaker.state).toBe('open');
    const slow = new ScriptLLM('slow', [{ delayMs: 500, chunks: ['slow but sure'] }]);
    const { bus, log } = recorder();
    const llm = route([slow, broken.withCircuitBreaker(breaker)], { hedge: { after: 100 } }).withEvents(bus);
    const { value } = await settle(llm.ask('hi'));
    expect(value?.text).toBe('slow but sure');
    expect(log).toEqual(['routed openai:slow (pick)']);
    expect(broken.calls).toBe(1);
  });

  it('aborting the call cancels every request in flight at once', async () => {
    const llms = ['a', 'b', 'c'].map((m) => new ScriptLLM(m, [{ hang: true }]));
    const controller = new AbortController();
    const reason = new Error('user left');
    const pending = route(llms, { hedge: { after: 100, maxExtra: 2 } }).ask('hi', {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(reason), 250);
    const { error } = await settle(pending);
    expect(error).toBe(reason);
    expect(llms.map((l) => l.calls)).toEqual([1, 1, 1]);
  });

  it("leaves no listener on the caller's signal, whoever wins", async () => {
    const slow = new ScriptLLM('slow', [{ delayMs: 500 }, { delayMs: 10 }]);
    const fast = new ScriptLLM('fast', [{ delayMs: 10, error: down() }, { delayMs: 10 }]);
    const { signal } = new AbortController(); // long-lived: an app's shutdown signal
    const ask = route([slow, fast], { hedge: { after: 100 } });
    for (let i = 0; i < 20; i++) await settle(ask.ask('hi', { signal }));
    for (let i = 0; i < 20; i++) await settle(ask.stream('hi', { signal }).finalReply());
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('the deadline bounds every request of the call', async () => {
    const llms = ['a', 'b'].map((m) => new ScriptLLM(m, [{ hang: true }]));
    const started = Date.now();
    const { error } = await settle(route(llms, { hedge: { after: 100 } }).ask('hi', { deadline: 400 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBe(400);
    expect(llms.map((l) => l.calls)).toEqual([1, 1]);
  });
});

describe('route() hedging (stream)', () => {
  it('the first member to send a chunk wins; the loser is aborted and nothing of it reaches the caller', async () => {
    const slow = new ScriptLLM('slow', [{ delayMs: 3_000, chunks: ['slow ', 'text'] }]);
    const fast = new ScriptLLM('fast', [{ delayMs: 30, chunks: ['fast ', 'text'] }]);
    const { bus, log } = recorder();
    const stream = route([slow, fast], { hedge: { after: 100 } })
      .withEvents(bus)
      .stream('hi');
    const { value } = await settle(drain(stream));
    expect(value).toEqual({ chunks: ['fast ', 'text'] });
    const reply = await stream.finalReply();
    expect(reply.text).toBe('fast text');
    expect(reply.attempts.map((a) => `${a.model}:${a.outcome}`)).toEqual(['slow:error', 'fast:success']);
    expect((reply.attempts[0]!.error as Error).name).toBe('AbortError');
    expect(log).toContain('hedgeWin openai:fast');
  });

  it('does not hedge a stream whose first chunk comes in time, however long the rest takes', async () => {
    const primary = new ScriptLLM('primary', [{ delayMs: 50, chunks: ['a', 'b', 'c'] }]);
    const backup = new ScriptLLM('backup', [{ chunks: ['x'] }]);
    const { value } = await settle(drain(route([primary, backup], { hedge: { after: 100 } }).stream('hi')));
    expect(value).toEqual({ chunks: ['a', 'b', 'c'] });
    expect(backup.calls).toBe(0);
  });

  it('a failure after the first chunk ends the stream with it: no other member, no text repeated', async () => {
    const cut = new StreamInterruptedError('cut', 'one', { provider: 'openai', model: 'a' });
    const a = new ScriptLLM('a', [{ chunks: ['one', 'two'], cutAfter: 1, error: cut }]);
    const b = new ScriptLLM('b', [{ chunks: ['b'] }]);
    const { value } = await settle(drain(route([a, b], { hedge: { after: 100 } }).stream('hi')));
    expect(value?.chunks).toEqual(['one']);
    expect(value?.error).toBeInstanceOf(StreamInterruptedError);
    expect(b.calls).toBe(0);
  });

  it('a consumer leaving early cancels the winning request', async () => {
    const slow = new ScriptLLM('slow', [{ hang: true }]);
    const fast = new ScriptLLM('fast', [{ delayMs: 10, chunks: ['one', 'two', 'three'] }]);
    const stream = route([slow, fast], { hedge: { after: 100 } }).stream('hi');
    const first = await settle(
      (async () => {
        for await (const chunk of stream) return chunk.text;
        return undefined;
      })(),
    );
    expect(first.value).toBe('one');
    await expect(stream.finalReply()).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('route() explain()', () => {
  it('counts every member once (its own retries included): hedging starts them sooner, never more of them', async () => {
    const fail = { delayMs: 300, error: down() };
    const a = new ScriptLLM('a', [fail]);
    const b = new ScriptLLM('b', [fail]);
    const c = new ScriptLLM('c', [fail]);
    const llm = route(
      [a.withRetry({ maxRetries: 1, initialDelay: 50, backoffStrategy: 'fixed', jitter: false }), b, c],
      {
        hedge: { after: 100, maxExtra: 2 },
      },
    );
    const figures = llm.explain({ timeout: 1_000 });
    expect(figures).toMatchObject({ maxRequests: 4 });
    expect(figures.tree.formula).toBe(
      '3 members, each tried at most once; hedged: at most 3 in flight at once',
    );
    const started = Date.now();
    const { error } = await settle(llm.ask('hi', { timeout: 1_000 }));
    expect(error).toBeInstanceOf(FallbackError);
    expect((error as FallbackError).attempts).toHaveLength(4); // the worst case, reached
    expect(Date.now() - started).toBeLessThanOrEqual(figures.worstCaseMs);
  });
});
