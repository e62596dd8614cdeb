import fc from 'fast-check';
import {
  AuthenticationError,
  BadRequestError,
  CircuitBreaker,
  CircuitBreakerMiddleware,
  type CircuitState,
  type CircuitStateChange,
  CircuitOpenError,
  ConnectionError,
  ContentFilterError,
  ContextLengthError,
  createEventBus,
  type LLM,
  type LLMEvents,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  QuotaExceededError,
  RateLimitError,
  RetryError,
  ServerError,
  StreamInterruptedError,
  TimeoutError,
} from '../lib/index.js';
import type { BreakerOutcome, BreakerPermit } from '../lib/guards/circuit-breaker/state.js';
import { callContext, deferred, FnLLM, manualClock, type Outcome } from './helpers/guards.js';

const overloaded = (): OverloadedError =>
  new OverloadedError('overloaded', { provider: 'openai', model: 'm' });

/** An LLM failing with `error` on every call listed in `failOn` (1-based), else answering. */
function scripted(failOn: (n: number) => unknown): FnLLM {
  return new FnLLM('m', (n) => {
    const error = failOn(n);
    return error === undefined ? {} : { error };
  });
}

async function outcomeOf(llm: LLM, input = 'hi'): Promise<'ok' | unknown> {
  try {
    await llm.ask(input);
    return 'ok';
  } catch (error) {
    return error;
  }
}

describe('withCircuitBreaker', () => {
  it('opens after failureThreshold consecutive counted failures and then fails fast without calling the inner LLM', async () => {
    const inner = scripted(() => overloaded());
    const clock = manualClock();
    const llm = inner.withCircuitBreaker({ failureThreshold: 3, recoveryTimeout: 10_000, now: clock.now });
    for (let i = 0; i < 3; i++) expect(await outcomeOf(llm)).toBeInstanceOf(OverloadedError);
    clock.advance(4_000);
    const error = await outcomeOf(llm);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(inner.calls).toBe(3);
    const open = error as CircuitOpenError;
    expect(open).toMatchObject({
      kind: 'circuit_open',
      retryable: false,
      provider: 'openai',
      model: 'm',
      retryAfterMs: 6_000,
      circuit: 'openai:m',
      name: 'CircuitOpenError',
    });
  });

  it('resets the failure count on a success', async () => {
    const inner = scripted((n) => (n % 3 === 0 ? undefined : overloaded())); // fail, fail, ok, …
    const llm = inner.withCircuitBreaker({ failureThreshold: 3 });
    for (let i = 0; i < 9; i++) await outcomeOf(llm);
    expect(llm.middleware.breaker.state).toBe('closed');
    expect(inner.calls).toBe(9);
  });

  it('turns half-open after recoveryTimeout, and a successful probe closes it', async () => {
    let down = true;
    const inner = new FnLLM('m', () => (down ? { error: overloaded() } : {}));
    const clock = manualClock();
    const llm = inner.withCircuitBreaker({ failureThreshold: 2, recoveryTimeout: 1_000, now: clock.now });
    const { breaker } = llm.middleware;
    await outcomeOf(llm);
    await outcomeOf(llm);
    expect(breaker.state).toBe('open');
    clock.advance(999);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half_open');
    down = false;
    expect(await outcomeOf(llm)).toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  it('re-opens on a failed probe, for a full recoveryTimeout again', async () => {
    const inner = scripted(() => overloaded());
    const clock = manualClock();
    const llm = inner.withCircuitBreaker({ failureThreshold: 1, recoveryTimeout: 1_000, now: clock.now });
    await outcomeOf(llm);
    clock.advance(1_000);
    expect(await outcomeOf(llm)).toBeInstanceOf(OverloadedError); // the probe
    expect(inner.calls).toBe(2);
    clock.advance(10);
    expect(await outcomeOf(llm)).toMatchObject({ kind: 'circuit_open', retryAfterMs: 990 });
  });

  it('closes only after successThreshold probe successes', async () => {
    let down = true;
    const inner = new FnLLM('m', () => (down ? { error: overloaded() } : {}));
    const clock = manualClock();
    const llm = inner.withCircuitBreaker({
      failureThreshold: 1,
      recoveryTimeout: 100,
      successThreshold: 3,
      now: clock.now,
    });
    await outcomeOf(llm);
    clock.advance(100);
    down = false;
    await outcomeOf(llm);
    await outcomeOf(llm);
    expect(llm.middleware.breaker.state).toBe('half_open');
    await outcomeOf(llm);
    expect(llm.middleware.breaker.state).toBe('closed');
  });

  it('admits exactly halfOpenMaxCalls probes among 500 concurrent calls', async () => {
    for (const max of [1, 3, 7]) {
      const release = deferred();
      let down = true;
      const inner = new FnLLM('m', async () => {
        if (down) return { error: overloaded() };
        await release.promise;
        return {};
      });
      const clock = manualClock();
      const llm = inner.withCircuitBreaker({
        failureThreshold: 1,
        recoveryTimeout: 50,
        halfOpenMaxCalls: max,
        successThreshold: max,
        now: clock.now,
      });
      await outcomeOf(llm);
      clock.advance(50);
      down = false;
      const calls = Array.from({ length: 500 }, () => outcomeOf(llm));
      await Promise.resolve();
      expect(inner.calls).toBe(1 + max);
      expect(llm.middleware.breaker.describeState().probesInFlight).toBe(max);
      release.resolve();
      const outcomes = await Promise.all(calls);
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(max);
      const refused = outcomes.filter((o) => o instanceof CircuitOpenError) as CircuitOpenError[];
      expect(refused).toHaveLength(500 - max);
      expect(refused[0]!.retryAfterMs).toBeUndefined();
      expect(inner.maxInFlight).toBe(max);
      expect(llm.middleware.breaker.state).toBe('closed');
    }
  });

  describe('which errors count', () => {
    const counted = [
      overloaded(),
      new ServerError('500'),
      new TimeoutError('slow'),
      new ConnectionError('reset'),
      new StreamInterruptedError('cut', 'par'),
      new RateLimitError('429'),
      new RetryError([new ServerError('a'), new ServerError('b')], []),
    ];
    const ignored = [
      new BadRequestError('400'),
      new AuthenticationError('401'),
      new PermissionDeniedError('403'),
      new NotFoundError('404'),
      new ContextLengthError('too long'),
      new ContentFilterError('policy'),
      new QuotaExceededError('billing'),
      new CircuitOpenError('inner breaker', 'x'),
      new TypeError('a bug'),
      new DOMException('stop', 'AbortError'),
    ];

    it.each(counted.map((e) => [e.name, e]))('counts %s by default', async (_, error) => {
      const llm = scripted(() => error).withCircuitBreaker({ failureThreshold: 1 });
      await outcomeOf(llm);
      expect(llm.middleware.breaker.state).toBe('open');
    });

    it.each(ignored.map((e) => [e.name, e]))('does not count %s by default', async (_, error) => {
      const llm = scripted(() => error).withCircuitBreaker({ failureThreshold: 1 });
      for (let i = 0; i < 5; i++) expect(await outcomeOf(llm)).toBe(error);
      expect(llm.middleware.breaker.state).toBe('closed');
    });

    it('never counts a cancelled call, even when the error would count', async () => {
      const controller = new AbortController();
      const inner = new FnLLM('m', () => {
        controller.abort(new TimeoutError("the call's deadline passed"));
        return { error: overloaded() };
      });
      const llm = inner.withCircuitBreaker({ failureThreshold: 1 });
      await llm.ask('hi', { signal: controller.signal }).catch(() => {});
      expect(llm.middleware.breaker.state).toBe('closed');
    });

    it('counts what countOn matches instead, along the cause chain', async () => {
      const llm = scripted((n) =>
        n === 1 ? overloaded() : new BadRequestError('quota gone'),
      ).withCircuitBreaker({ failureThreshold: 1, countOn: ['bad_request'] });
      await outcomeOf(llm);
      expect(llm.middleware.breaker.state).toBe('closed');
      await outcomeOf(llm);
      expect(llm.middleware.breaker.state).toBe('open');
      const byClass = scripted(() => new RetryError([new BadRequestError('x')], [])).withCircuitBreaker({
        failureThreshold: 1,
        countOn: [BadRequestError],
      });
      await outcomeOf(byClass);
      expect(byClass.middleware.breaker.state).toBe('open');
    });
  });

  it('ignores the outcome of a call admitted before the state changed', async () => {
    const slow = deferred<Outcome>();
    const inner = new FnLLM('m', (n) => (n === 1 ? slow.promise : { error: overloaded() }));
    const clock = manualClock();
    const llm = inner.withCircuitBreaker({ failureThreshold: 1, recoveryTimeout: 10, now: clock.now });
    const { breaker } = llm.middleware;
    const first = outcomeOf(llm); // admitted while closed, still running
    await Promise.resolve();
    await outcomeOf(llm); // opens it
    clock.advance(10);
    expect(breaker.state).toBe('half_open');
    slow.resolve({}); // a success from the closed era is not a probe's success
    expect(await first).toBe('ok');
    expect(breaker.state).toBe('half_open');
  });

  it('reports state changes to direct subscribers and on the call’s buses', async () => {
    let down = true;
    const clock = manualClock();
    const breaker = new CircuitBreaker({
      name: 'primary',
      failureThreshold: 1,
      recoveryTimeout: 5,
      now: clock.now,
    });
    const direct: CircuitStateChange[] = [];
    breaker.on('stateChange', (change) => direct.push(change));
    const bus = createEventBus();
    const onBus: LLMEvents['circuitState'][] = [];
    bus.on('circuitState', (e) => onBus.push(e));
    const llm = new FnLLM('m', () => (down ? { error: overloaded() } : {}))
      .withCircuitBreaker(breaker)
      .withEvents(bus);
    await outcomeOf(llm);
    clock.advance(5);
    down = false;
    await outcomeOf(llm);
    const path = [
      { name: 'primary', from: 'closed', to: 'open' },
      { name: 'primary', from: 'open', to: 'half_open' },
      { name: 'primary', from: 'half_open', to: 'closed' },
    ];
    expect(direct).toEqual(path);
    expect(onBus).toEqual(path);
  });

  it('a subscriber that throws is reported and ignored: the call goes on', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const breaker = new CircuitBreaker({ name: 'primary', failureThreshold: 1 });
      breaker.on('stateChange', () => {
        throw new Error('subscriber broke');
      });
      const llm = new FnLLM('m', () => ({ error: overloaded() })).withCircuitBreaker(breaker);
      expect(await outcomeOf(llm)).toBeInstanceOf(OverloadedError);
      expect(breaker.state).toBe('open');
      expect(warn).toHaveBeenCalledWith(
        'llm-resilience: a stateChange handler of circuit "primary" threw; ignored.',
        expect.objectContaining({ message: 'subscriber broke' }),
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('reset() closes the circuit and forgets the counts', async () => {
    const inner = scripted(() => overloaded());
    const llm = inner.withCircuitBreaker({ failureThreshold: 2 });
    const changes: CircuitState[] = [];
    llm.middleware.breaker.on('stateChange', ({ to }) => changes.push(to));
    await outcomeOf(llm);
    await outcomeOf(llm);
    expect(llm.middleware.breaker.state).toBe('open');
    llm.middleware.breaker.reset();
    expect(llm.middleware.breaker.state).toBe('closed');
    await outcomeOf(llm);
    expect(llm.middleware.breaker.state).toBe('closed'); // one failure of two
    expect(changes).toEqual(['open', 'closed']);
  });

  it('shares one breaker object between LLMs on purpose, and keeps one made from options private', async () => {
    const shared = new CircuitBreaker({ failureThreshold: 2 });
    const a = scripted(() => overloaded());
    const b = scripted(() => undefined);
    await outcomeOf(a.withCircuitBreaker(shared));
    await outcomeOf(a.withCircuitBreaker(shared));
    expect(await outcomeOf(b.withCircuitBreaker(shared))).toBeInstanceOf(CircuitOpenError);
    expect(b.calls).toBe(0);

    const options = { failureThreshold: 1 };
    const own1 = a.withCircuitBreaker(options);
    const own2 = b.withCircuitBreaker(options);
    expect(own1.middleware.breaker).not.toBe(own2.middleware.breaker);
    await outcomeOf(own1);
    expect(own1.middleware.breaker.state).toBe('open');
    expect(await outcomeOf(own2)).toBe('ok');
  });

  it('is an immutable wrapper that leaves its receiver unchanged', () => {
    const inner = new FnLLM('gpt-4o');
    const llm = inner.withCircuitBreaker();
    expect(llm.middleware).toBeInstanceOf(CircuitBreakerMiddleware);
    expect(llm.describe()).toBe('breaker(openai:gpt-4o)');
    expect(llm.middleware.breaker.name).toBe('openai:gpt-4o');
    expect(llm.middleware.breaker.options).toMatchObject({
      failureThreshold: 5,
      recoveryTimeout: 60_000,
      halfOpenMaxCalls: 1,
      successThreshold: 1,
    });
    expect(Object.isFrozen(llm)).toBe(true);
    expect(Object.isFrozen(llm.middleware.breaker.options)).toBe(true);
    expect(llm.inner).toBe(inner);
    expect(inner.describe()).toBe('openai:gpt-4o');
    expect(llm.model).toBe('gpt-4o');
    expect(llm.provider).toBe('openai');
  });

  it('validates its options when the LLM is built', () => {
    const llm = new FnLLM('m');
    expect(() => llm.withCircuitBreaker({ failureThreshold: 0 })).toThrow(
      new RangeError('`failureThreshold` must be an ≥ 1 integer, got 0'),
    );
    expect(() => llm.withCircuitBreaker({ recoveryTimeout: -1 })).toThrow(/`recoveryTimeout`.*-1/);
    expect(() => llm.withCircuitBreaker({ recoveryTimeout: NaN })).toThrow(RangeError);
    expect(() => llm.withCircuitBreaker({ halfOpenMaxCalls: 1.5 })).toThrow(/`halfOpenMaxCalls`.*1\.5/);
    expect(() => llm.withCircuitBreaker({ successThreshold: '2' as never })).toThrow(TypeError);
    expect(() => llm.withCircuitBreaker({ countOn: 'overloaded' as never })).toThrow(/`countOn`/);
    expect(() => llm.withCircuitBreaker({ countOn: [42 as never] })).toThrow(/`countOn\[0\]`/);
    expect(() => llm.withCircuitBreaker({ name: '' })).toThrow(/`name`/);
    expect(() => llm.withCircuitBreaker({ now: 5 as never })).toThrow(/`now`/);
    expect(() => llm.withCircuitBreaker(42 as never)).toThrow(
      /withCircuitBreaker takes a CircuitBreaker or CircuitBreakerOptions, got 42/,
    );
  });

  it('types its public API', () => {
    const llm = new FnLLM('m');
    // @ts-expect-error failureThreshold is a number
    expect(() => llm.withCircuitBreaker({ failureThreshold: '3' })).toThrow(TypeError);
    // @ts-expect-error countOn takes classes, strings or RegExps
    expect(() => llm.withCircuitBreaker({ countOn: [42] })).toThrow(TypeError);
    // @ts-expect-error the only event is stateChange
    new CircuitBreaker().on('opened', () => {});
    expect(() => {
      // @ts-expect-error state is read-only
      new CircuitBreaker().state = 'open';
    }).toThrow(TypeError);
    const state: CircuitState = new CircuitBreaker().state;
    expect(['closed', 'open', 'half_open']).toContain(state);
  });

  describe('streams', () => {
    async function drain(llm: LLM): Promise<unknown> {
      try {
        for await (const _ of llm.stream('hi'));
        return 'ok';
      } catch (error) {
        return error;
      }
    }

    it('counts a completed stream as a success and a failed one as a failure, before or after its first chunk', async () => {
      const errors = [overloaded(), new StreamInterruptedError('cut', 'a')];
      const inner = new FnLLM('m', (n) =>
        n <= 2 ? { text: 'a b c', error: errors[n - 1], afterChunks: n === 1 ? 0 : 1 } : { text: 'a b c' },
      );
      const clock = manualClock();
      const llm = inner.withCircuitBreaker({ failureThreshold: 2, recoveryTimeout: 1, now: clock.now });
      const { breaker } = llm.middleware;
      expect(await drain(llm)).toBe(errors[0]);
      expect(breaker.describeState().failures).toBe(1);
      expect(await drain(llm)).toBe(errors[1]);
      expect(breaker.state).toBe('open');
      clock.advance(1);
      expect(await drain(llm)).toBe('ok');
      expect(breaker.state).toBe('closed');
    });

    it('frees the probe slot when the consumer leaves early, counting neither', async () => {
      let down = true;
      const inner = new FnLLM('m', () => (down ? { error: overloaded() } : { text: 'a b c d' }));
      const clock = manualClock();
      const llm = inner.withCircuitBreaker({ failureThreshold: 1, recoveryTimeout: 1, now: clock.now });
      const { breaker } = llm.middleware;
      await drain(llm);
      clock.advance(1);
      down = false;
      for await (const _ of llm.stream('hi')) {
        expect(breaker.describeState().probesInFlight).toBe(1);
        break;
      }
      expect(breaker.describeState()).toMatchObject({ state: 'half_open', probesInFlight: 0 });
      expect(await drain(llm)).toBe('ok');
      expect(breaker.state).toBe('closed');
    });

    it('refuses a stream while open before anything is sent', async () => {
      const inner = scripted(() => overloaded());
      const llm = inner.withCircuitBreaker({ failureThreshold: 1 });
      await drain(llm);
      expect(await drain(llm)).toBeInstanceOf(CircuitOpenError);
      expect(inner.calls).toBe(1);
    });
  });

  describe('with fallbacks and retries', () => {
    it('moves to the next LLM at once, with no retry delay, while the circuit is open', async () => {
      const primary = scripted(() => overloaded());
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      await outcomeOf(primary.withCircuitBreaker(breaker));
      const onRetry = jest.fn();
      const backup = new FnLLM('backup');
      const chain = primary
        .withCircuitBreaker(breaker)
        .withRetry({ maxRetries: 5, initialDelay: 600_000, onRetry })
        .withFallbacks([backup]);
      jest.useFakeTimers(); // any sleep would never end: the call must not schedule one
      try {
        const reply = await chain.ask('hi');
        expect(reply.model).toBe('backup');
        expect(jest.getTimerCount()).toBe(0);
      } finally {
        jest.useRealTimers();
      }
      expect(onRetry).not.toHaveBeenCalled();
      expect(primary.calls).toBe(1);
    });

    it('counts one failure per call when it wraps a retry wrapper', async () => {
      const inner = scripted(() => overloaded());
      const llm = inner
        .withRetry({ maxRetries: 2, initialDelay: 0 })
        .withCircuitBreaker({ failureThreshold: 2 });
      const { breaker } = llm.middleware;
      expect(await outcomeOf(llm)).toBeInstanceOf(RetryError);
      expect(breaker.describeState().failures).toBe(1);
      await outcomeOf(llm);
      expect(breaker.state).toBe('open');
      expect(inner.calls).toBe(6);
    });
  });
});

describe('CircuitBreaker state machine (property-based)', () => {
  type Op =
    | { readonly kind: 'admit' }
    | { readonly kind: 'settle'; readonly pick: number; readonly outcome: BreakerOutcome }
    | { readonly kind: 'tick'; readonly ms: number }
    | { readonly kind: 'reset' };

  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: 'admit' } as const) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('settle' as const),
        pick: fc.nat(),
        outcome: fc.constantFrom<BreakerOutcome>('success', 'failure', 'neutral'),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 150 }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'reset' } as const) },
  );

  interface Settings {
    readonly failureThreshold: number;
    readonly recoveryTimeout: number;
    readonly halfOpenMaxCalls: number;
    readonly successThreshold: number;
  }

  const settings: fc.Arbitrary<Settings> = fc.record({
    failureThreshold: fc.integer({ min: 1, max: 4 }),
    recoveryTimeout: fc.integer({ min: 0, max: 200 }),
    halfOpenMaxCalls: fc.integer({ min: 1, max: 4 }),
    successThreshold: fc.integer({ min: 1, max: 4 }),
  });

  /** Runs ops against a breaker, tracking the permits it handed out that have not settled. */
  function run(options: Settings, ops: readonly Op[], check: (running: number) => void) {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ ...options, now: clock.now });
    const ctx = callContext();
    const who = { provider: 'openai', model: 'm' } as const;
    const outstanding: BreakerPermit[] = [];
    const probesRunning = (): number => outstanding.filter((p) => p.probe).length;
    for (const o of ops) {
      if (o.kind === 'admit') {
        try {
          outstanding.push(breaker._admit(ctx, who));
        } catch (error) {
          expect(error).toBeInstanceOf(CircuitOpenError);
        }
      } else if (o.kind === 'settle' && outstanding.length > 0) {
        const [permit] = outstanding.splice(o.pick % outstanding.length, 1);
        breaker._settle(permit!, o.outcome, ctx);
      } else if (o.kind === 'tick') clock.advance(o.ms);
      else if (o.kind === 'reset') breaker.reset();
      check(probesRunning());
      expect(breaker.describeState().probesInFlight).toBe(probesRunning());
    }
    return { breaker, clock, ctx, who, outstanding };
  }

  it('never has more than halfOpenMaxCalls probes running at once, whatever the outcomes', () => {
    fc.assert(
      fc.property(settings, fc.array(op, { maxLength: 200, size: 'max' }), (options, ops) => {
        run(options, ops, (running) => expect(running).toBeLessThanOrEqual(options.halfOpenMaxCalls));
      }),
      { numRuns: 200 },
    );
  });

  it('always closes after a streak of successThreshold probe successes in half-open', () => {
    fc.assert(
      fc.property(settings, fc.array(op, { maxLength: 100, size: 'max' }), (options, ops) => {
        const { breaker, clock, ctx, who, outstanding } = run(options, ops, () => {});
        // The calls of the history end without a verdict (their consumers left).
        for (const permit of outstanding.splice(0)) breaker._settle(permit, 'neutral', ctx);
        // Drive it to half-open: open it if closed, then wait out the recovery.
        while (breaker.state === 'closed') breaker._settle(breaker._admit(ctx, who), 'failure', ctx);
        if (breaker.state === 'open') clock.advance(options.recoveryTimeout);
        expect(breaker.state).toBe('half_open');
        // A streak of successes, as many probes at a time as allowed (earlier probe successes of
        // this half-open spell may close it sooner).
        let successes = 0;
        while (successes < options.successThreshold && breaker.state === 'half_open') {
          const batch = Array.from({ length: options.halfOpenMaxCalls }, () => breaker._admit(ctx, who));
          for (const permit of batch) breaker._settle(permit, 'success', ctx);
          successes += batch.length;
        }
        expect(breaker.state).toBe('closed');
      }),
      { numRuns: 200 },
    );
  });

  it('opens exactly when consecutive counted failures reach failureThreshold (sequential calls)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.constantFrom<BreakerOutcome>('success', 'failure', 'neutral'), {
          maxLength: 60,
          size: 'max',
        }),
        (failureThreshold, outcomes) => {
          const breaker = new CircuitBreaker({ failureThreshold, recoveryTimeout: 1_000 });
          const ctx = callContext();
          let streak = 0;
          for (const outcome of outcomes) {
            if (breaker.state !== 'closed') break;
            breaker._settle(breaker._admit(ctx, { provider: 'openai', model: 'm' }), outcome, ctx);
            if (outcome === 'success') streak = 0;
            else if (outcome === 'failure') streak++;
            expect(breaker.state).toBe(streak >= failureThreshold ? 'open' : 'closed');
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
