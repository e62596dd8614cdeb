/**
 * What a breaker and a limiter do with a shared `store`, whatever the store: bounded calls,
 * the `onStoreError` policy, recovery, events, cancellation — against a scripted in-process store,
 * under fake time. (`redis-store.test.ts` runs the same against a real Redis.)
 */
import {
  CircuitBreaker,
  CircuitOpenError,
  createEventBus,
  RateLimiter,
  type SharedCircuit,
  type SharedCircuitAdmission,
  type SharedWindow,
  type StateStore,
  type StoreStatusChange,
  StoreUnavailableError,
} from '../lib/index.js';
import { callContext, FnLLM } from './helpers/guards.js';

/** How the scripted store answers: at once, never, or with an error. */
type Mode = 'answer' | 'hang' | 'fail';

const CLOSED: SharedCircuitAdmission = {
  state: 'closed',
  epoch: 1,
  failures: 0,
  probes: 0,
  retryAfterMs: 0,
  admitted: 'call',
};

/** A StateStore whose every call follows `mode`, counting calls; `answer` shapes the circuit's admissions. */
function scriptedStore(timeout = 50, retryInterval = 1_000) {
  const state = {
    mode: 'answer' as Mode,
    calls: 0,
    answer: CLOSED,
    settled: [] as (string | undefined)[],
    pending: [] as (() => void)[],
  };
  const respond = <T>(value: () => T): Promise<T> => {
    state.calls++;
    if (state.mode === 'fail') return Promise.reject(new Error('connection refused'));
    if (state.mode === 'hang') return new Promise<T>((resolve) => state.pending.push(() => resolve(value())));
    return Promise.resolve(value());
  };
  const circuit: SharedCircuit = {
    admit: () => respond(() => state.answer),
    read: () => respond(() => state.answer),
    reset: () => respond(() => CLOSED),
    settle: (_epoch, outcome, lease) =>
      respond(() => {
        state.settled.push(`${outcome}:${lease ?? ''}`);
        return CLOSED;
      }),
  };
  const window: SharedWindow = {
    reserve: () => respond(() => ({ reserved: true, waitMs: 0 })),
    waitLeft: () => respond(() => 0),
    remove: () => respond(() => undefined),
    adjust: () => respond(() => undefined),
    hold: () => respond(() => undefined),
    check: () => respond(() => 0),
    usage: () => respond(() => ({ requests: 0, tokens: 0, queued: 0, heldForMs: 0 })),
  };
  const store: StateStore = {
    name: 'scripted',
    timeout,
    retryInterval,
    circuit: () => circuit,
    window: () => window,
  };
  return { store, state };
}

const who = { provider: 'openai', model: 'm' } as const;

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('the in-memory default', () => {
  it('admits synchronously, handing every closed call the same permit: nothing awaited, nothing allocated', () => {
    const breaker = new CircuitBreaker();
    const first = breaker._enter(callContext(), who);
    expect(first).not.toBeInstanceOf(Promise);
    expect(breaker._enter(callContext(), who)).toBe(first);
    expect(breaker.describeState()).not.toHaveProperty('store');
  });
});

describe('a guard with a shared store', () => {
  it('bounds a store call by its timeout, then fails open onto local state and says so once', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] }); // the timeout gives a late answer one turn of the loop
    const { store, state } = scriptedStore(50);
    const breaker = new CircuitBreaker({ name: 'b', store });
    const events: StoreStatusChange[] = [];
    breaker.on('storeStatus', (e) => events.push(e));
    state.mode = 'hang';
    const entered = breaker._enter(callContext(), who) as Promise<unknown>;
    let settled = false;
    void entered.then(() => (settled = true));
    await jest.advanceTimersByTimeAsync(49);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await entered).toMatchObject({ probe: false }); // the local state admitted it
    expect(events).toEqual([
      expect.objectContaining({
        guard: 'b',
        kind: 'circuit_breaker',
        store: 'scripted',
        status: 'degraded',
        policy: 'fail-open',
        error: expect.objectContaining({ message: 'the scripted store did not answer within 50 ms' }),
      }),
    ]);
    expect(breaker.describeState()).toMatchObject({ store: 'scripted', degraded: true });
  });

  it('skips the store for retryInterval after a failure, then one call tries again, and it recovers', async () => {
    jest.useFakeTimers();
    const { store, state } = scriptedStore(50, 1_000);
    const limiter = new RateLimiter({ name: 'l', store, requestsPerMinute: 10 });
    const bus = createEventBus();
    const onBus: string[] = [];
    bus.on('storeStatus', (e) => onBus.push(e.status));
    const llm = new FnLLM('m').withRateLimit(limiter).withEvents(bus);
    state.mode = 'fail';
    await llm.ask('a');
    expect(state.calls).toBe(1);
    await llm.ask('b');
    await llm.ask('c');
    expect(state.calls).toBe(1); // straight to local state
    state.mode = 'answer';
    await jest.advanceTimersByTimeAsync(1_000);
    await llm.ask('d');
    expect(state.calls).toBe(2);
    expect(limiter.describeState().degraded).toBe(false);
    expect(onBus).toEqual(['degraded', 'recovered']);
  });

  it('fails closed with StoreUnavailableError, which no breaker counts and no retry repeats', async () => {
    const { store, state } = scriptedStore();
    const limiter = new RateLimiter({ name: 'l', store, requestsPerMinute: 10, onStoreError: 'fail-closed' });
    limiter.on('storeStatus', () => {});
    const outer = new CircuitBreaker({ failureThreshold: 1 });
    const inner = new FnLLM('m');
    const llm = inner
      .withRateLimit(limiter)
      .withRetry({ maxRetries: 2, initialDelay: 0 })
      .withCircuitBreaker(outer);
    state.mode = 'fail';
    const error = await llm.ask('hi').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({
      kind: 'store_unavailable',
      guard: 'l',
      store: 'scripted',
      retryable: false,
      provider: 'openai',
      model: 'm',
      cause: expect.objectContaining({ message: 'connection refused' }),
    });
    expect((error as Error).message).toMatch(
      /Rate limiter "l" cannot reach its scripted store .*'fail-closed'/,
    );
    expect(inner.calls).toBe(0);
    expect(outer.state).toBe('closed');
  });

  it('rejects at once when the call is aborted during a store call, and frees a probe slot that arrives late', async () => {
    const { store, state } = scriptedStore(10_000);
    const breaker = new CircuitBreaker({ name: 'b', store });
    state.mode = 'hang';
    state.answer = { ...CLOSED, state: 'half_open', admitted: 'probe' };
    const controller = new AbortController();
    const entered = breaker._enter(callContext({ signal: controller.signal }), who) as Promise<unknown>;
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(entered).rejects.toBe(reason);
    state.mode = 'answer';
    state.pending.shift()!(); // the store answers after all: a probe slot, which nobody will use
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.settled).toEqual([expect.stringMatching(/^neutral:.+/)]);
  });

  it('warns on the console when nobody listens, and survives a throwing listener', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const { store, state } = scriptedStore();
    state.mode = 'fail';
    const quiet = new CircuitBreaker({ name: 'quiet', store });
    await quiet._enter(callContext(), who);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/circuit breaker "quiet" lost its scripted store/),
    );
    const loud = new CircuitBreaker({ name: 'loud', store });
    loud.on('storeStatus', () => {
      throw new Error('listener bug');
    });
    await expect(loud._enter(callContext(), who)).resolves.toMatchObject({ probe: false });
  });

  it('refuses with CircuitOpenError what the shared circuit refuses', async () => {
    const { store, state } = scriptedStore();
    const breaker = new CircuitBreaker({ name: 'b', store, recoveryTimeout: 5_000 });
    const changes: string[] = [];
    breaker.on('stateChange', ({ from, to }) => changes.push(`${from}→${to}`));
    state.answer = { ...CLOSED, state: 'open', retryAfterMs: 1_234, admitted: 'refused' };
    const error = await (breaker._enter(callContext(), who) as Promise<unknown>).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ retryAfterMs: 1_234, circuit: 'b' });
    expect(changes).toEqual(['closed→open']);
    expect(breaker.state).toBe('open'); // mirrored locally
  });
});
