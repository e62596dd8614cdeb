import {
  CircuitBreaker,
  CircuitOpenError,
  type CircuitState,
  type LLM,
  OpenAILLM,
  RateLimitError,
  RateLimiter,
  StreamInterruptedError,
} from '../lib/index.js';
import { FaultServer, faultModel } from '../lib/testing/index.js';
import { manualClock } from './helpers/guards.js';
import { BASE_MODEL, PROVIDERS, wireLLM } from './helpers/wire.js';

let server: FaultServer;

beforeAll(async () => {
  server = await FaultServer.start();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.resetHits();
});

/** What a 20-request run through breaker + fallback showed. */
interface RunFigures {
  /** Who served each request, in order: P (primary) or F (fallback). */
  readonly servedBy: string;
  readonly fallbackServed: number;
  /** Requests the primary failed (it was down), and how many of them were half-open probes. */
  readonly primaryHitsWhileDown: number;
  readonly probesWhileDown: number;
  /** The first request (1-based) the primary served. */
  readonly returnedOn: number | undefined;
  /** The breaker's state after each request. */
  readonly states: readonly CircuitState[];
}

/**
 * Sends 20 requests, one every 10 ms of breaker time (an injected clock, so the figures are
 * exact), through `primary` behind a breaker (3 counted failures open it, 15 ms to half-open)
 * with a fallback and no retry. `before(i)` runs before request i.
 */
async function twentyRequests(
  primary: LLM,
  primaryModel: string,
  backup: LLM,
  before: (i: number) => void = () => {},
): Promise<RunFigures> {
  const clock = manualClock();
  const breaker = new CircuitBreaker({ failureThreshold: 3, recoveryTimeout: 15, now: clock.now });
  const chain = primary.withCircuitBreaker(breaker).withFallbacks([backup]);
  let servedBy = '';
  const states: CircuitState[] = [];
  let primaryHitsWhileDown = 0;
  let probesWhileDown = 0;
  for (let i = 1; i <= 20; i++) {
    clock.advance(10);
    before(i);
    const probe = breaker.state === 'half_open'; // this request is a probe if the primary is tried
    const hitsBefore = server.hitCount(primaryModel);
    const reply = await chain.ask(`request ${i}`);
    const hit = server.hits(primaryModel)[hitsBefore];
    if (hit !== undefined && hit.outcome !== 'ok') {
      primaryHitsWhileDown++;
      if (probe) probesWhileDown++;
    }
    servedBy += reply.model === primaryModel ? 'P' : 'F';
    states.push(breaker.state);
  }
  const first = servedBy.indexOf('P');
  return {
    servedBy,
    fallbackServed: servedBy.split('').filter((s) => s === 'F').length,
    primaryHitsWhileDown,
    probesWhileDown,
    returnedOn: first === -1 ? undefined : first + 1,
    states,
  };
}

function report(title: string, f: RunFigures): void {
  console.log(
    `${title}\n` +
      `  served by (requests 1-20): ${f.servedBy}\n` +
      `  breaker after each:        ${f.states.map((s) => s[0]!.toUpperCase()).join('')} (C closed, O open, H half-open)\n` +
      `  fallback served ${f.fallbackServed}/20; the primary failed ${f.primaryHitsWhileDown} requests while down, ` +
      `${f.probesWhileDown} of them half-open probes; traffic back on the primary from request ${f.returnedOn ?? '— (never)'}`,
  );
}

describe('circuit breaker on the wire', () => {
  const backup = (): LLM => wireLLM(server, 'openai', 'gpt-4o-mini');

  it('sends traffic to the fallback while the primary is down for the first 10 of 20 requests, probes it, and returns', async () => {
    // Down for requests 1-10: the primary's fetch asks the fault server for a 503 (`x-fault`).
    let down = true;
    const outage: typeof fetch = (input, init) => {
      if (!down) return fetch(input, init);
      const headers = new Headers(init?.headers);
      headers.set('x-fault', 'status=503');
      return fetch(input, { ...init, headers });
    };
    const primary = new OpenAILLM('gpt-4o', {
      apiKey: 'test-key',
      baseURL: server.openaiBaseURL,
      fetch: outage,
    });
    const figures = await twentyRequests(primary, 'gpt-4o', backup(), (i) => (down = i <= 10));
    report('Primary down (503) for requests 1-10 of 20:', figures);
    expect(figures).toMatchObject({
      servedBy: 'FFFFFFFFFFPPPPPPPPPP',
      fallbackServed: 10,
      primaryHitsWhileDown: 6, // requests 1-3 (closed), then probes 5, 7, 9
      probesWhileDown: 3,
      returnedOn: 11, // the probe of request 11 succeeded
    });
    expect(server.hitCount('gpt-4o')).toBe(6 + 10);
    expect(server.hitCount('gpt-4o-mini')).toBe(10);
  });

  it('with the outage counted in primary hits (fail_first=10), probes use it up more slowly', async () => {
    const model = faultModel('gpt-4o', { status: 503, fail_first: 10 });
    const figures = await twentyRequests(wireLLM(server, 'openai', model), model, backup());
    report('Primary failing its first 10 hits (status=503;fail_first=10):', figures);
    expect(figures).toMatchObject({
      servedBy: 'FFFFFFFFFFFFFFFFFFPP',
      fallbackServed: 18,
      primaryHitsWhileDown: 10, // 1-3, then a probe every other request: 5, 7, …, 17
      probesWhileDown: 7,
      returnedOn: 19,
    });
  });

  it('moves to the fallback with no retry delay while open', async () => {
    const primaryModel = faultModel('gpt-4o', { status: 503 });
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const guarded = wireLLM(server, 'openai', primaryModel).withCircuitBreaker(breaker);
    await expect(guarded.ask('open it')).rejects.toMatchObject({ kind: 'overloaded' });
    const onRetry = jest.fn();
    const chain = guarded
      .withRetry({ maxRetries: 5, initialDelay: 60_000, onRetry })
      .withFallbacks([backup()]);
    const started = Date.now();
    const reply = await chain.ask('hi');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(reply.model).toBe('gpt-4o-mini');
    expect(reply.attempts.map((a) => a.model)).toEqual(['gpt-4o-mini']);
    expect(onRetry).not.toHaveBeenCalled();
    expect(server.hitCount(primaryModel)).toBe(1);
  });

  it.each(PROVIDERS)(
    '%s: counts a stream cut after its first chunk, then refuses streams while open',
    async (provider) => {
      const model = faultModel(BASE_MODEL[provider], { chunks: 5, drop_after: 2 });
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      const llm = wireLLM(server, provider, model).withCircuitBreaker(breaker);
      const seen: string[] = [];
      const cut = await (async () => {
        try {
          for await (const chunk of llm.stream('hi')) seen.push(chunk.text);
        } catch (error) {
          return error;
        }
      })();
      expect(seen.length).toBeGreaterThan(0);
      expect(cut).toBeInstanceOf(StreamInterruptedError);
      expect(breaker.state).toBe('open');
      await expect(llm.stream('again').finalReply()).rejects.toBeInstanceOf(CircuitOpenError);
      expect(server.hitCount(model)).toBe(1);
    },
  );
});

describe('rate limiter on the wire', () => {
  it.each(PROVIDERS)(
    '%s: holds calls when the provider says a limit is used up, until it resets',
    async (provider) => {
      const model = faultModel(BASE_MODEL[provider], {
        ratelimit_headers: true,
        rl_remaining_requests: 0,
        rl_reset_ms: 200,
      });
      const limiter = new RateLimiter({ requestsPerMinute: 1_000 });
      const llm = wireLLM(server, provider, model).withRateLimit(limiter);
      await llm.ask('one');
      expect(limiter.describeState().heldForMs).toBeGreaterThan(100);
      await llm.ask('two');
      const [first, second] = server.hits(model);
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(150);
    },
  );

  it.each(PROVIDERS)('%s: learns the pacing from a 429’s headers too', async (provider) => {
    const model = faultModel(BASE_MODEL[provider], {
      status: 429,
      ratelimit_headers: true,
      rl_remaining_requests: 0,
      rl_reset_ms: 400,
      fail_first: 1,
    });
    const limiter = new RateLimiter({ requestsPerMinute: 1_000 });
    const llm = wireLLM(server, provider, model).withRateLimit(limiter);
    await expect(llm.ask('one')).rejects.toBeInstanceOf(RateLimitError);
    expect(limiter.describeState().heldForMs).toBeGreaterThan(200);
  });

  it.each(PROVIDERS)(
    '%s: reconciles the token estimate with the usage the server reports',
    async (provider) => {
      const limiter = new RateLimiter({ tokensPerMinute: 100_000 });
      const llm = wireLLM(server, provider, BASE_MODEL[provider]).withRateLimit(limiter);
      const reply = await llm.ask('How many tokens is this prompt, roughly?', { maxTokens: 50 });
      expect(reply.usage.totalTokens).toBeGreaterThan(0);
      expect(limiter.describeState().tokensInWindow).toBe(reply.usage.totalTokens);
      const stream = llm.stream('And this one, streamed?', { maxTokens: 50 });
      const streamed = await stream.finalReply();
      expect(limiter.describeState().tokensInWindow).toBe(
        reply.usage.totalTokens + streamed.usage.totalTokens,
      );
    },
  );

  it('paces requests to the configured rate', async () => {
    const model = BASE_MODEL.openai;
    const limiter = new RateLimiter({ requestsPerMinute: 3, windowMs: 150 });
    const llm = wireLLM(server, 'openai', model).withRateLimit(limiter);
    await Promise.all(Array.from({ length: 6 }, (_, i) => llm.ask(`call ${i}`)));
    const at = server.hits(model).map((h) => h.at);
    expect(at).toHaveLength(6);
    expect(at[3]! - at[0]!).toBeGreaterThanOrEqual(120);
  });
});
