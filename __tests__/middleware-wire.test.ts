import {
  createEventBus,
  type LLM,
  type LLMEvents,
  type LLMMiddleware,
  type LLMRequest,
  OpenAILLM,
  RateLimiter,
  Telemetry,
} from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { drain } from './helpers/script.js';

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
beforeEach(() => server.resetHits());
afterAll(() => server.close());

const fast = { initialDelay: 1, maxDelay: 5 };
const settle = <T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

/** An OpenAILLM on the fault server whose request bodies, as sent over HTTP, are kept in `wire`. */
function wired(model: string, wire: string[] = []): OpenAILLM {
  const spy: typeof fetch = (input, init) => {
    wire.push(String(init?.body));
    return fetch(input, init);
  };
  return new OpenAILLM(model, {
    apiKey: 'test-key',
    baseURL: server.openaiBaseURL,
    fetch: spy,
    timeout: 5_000,
  });
}

const EMAIL = /[\w.+-]+@[\w-]+\.[\w.]+/g;
const redact: LLMMiddleware = {
  name: 'redact',
  transformRequest: (request) => ({
    ...request,
    messages: request.messages.map((m) => ({ ...m, content: m.content.replace(EMAIL, '[email]') })),
  }),
};

describe('a redaction middleware on the wire', () => {
  const model = 'gpt-4o-mini~status=503;fail_first=2';
  const prompt = 'Mail jane.doe@example.com the report';

  it.each([
    ['inside withRetry', (llm: LLM) => llm.use(redact).withRetry({ maxRetries: 3, ...fast })],
    ['outside withRetry', (llm: LLM) => llm.withRetry({ maxRetries: 3, ...fast }).use(redact)],
  ])('%s: every retried attempt goes out redacted (ask and stream)', async (_, build) => {
    const wire: string[] = [];
    const llm = build(wired(model, wire));
    const reply = await llm.ask(prompt);
    expect(reply.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'success']);
    server.resetHits();
    const { chunks } = await drain(llm.stream(prompt));
    expect(chunks.join('')).toBe('Hello from gpt-4o-mini.');
    expect(server.hitCount(model)).toBe(3);
    expect(wire).toHaveLength(6);
    for (const body of wire) {
      expect(body).toContain('Mail [email] the report');
      expect(body).not.toContain('jane.doe');
    }
  });
});

/** A user's router in a few lines: long prompts go to `long` (while its quota lasts), the rest go on. */
function lengthRouter(long: LLM, quota: RateLimiter, maxChars: number): LLMMiddleware {
  const size = (r: LLMRequest) => r.messages.reduce((n, m) => n + m.content.length, 0);
  const goLong = (r: LLMRequest) => size(r) > maxChars && quota.canProceed().ok;
  return {
    name: 'router',
    routes: [long],
    guards: [quota],
    async wrapAsk(request, next, call) {
      if (!goLong(request)) return next(request);
      await quota.acquire(0, { signal: call.signal });
      return call.via(long).ask(request);
    },
    async *wrapStream(request, next, call) {
      if (!goLong(request)) return yield* next(request);
      await quota.acquire(0, { signal: call.signal });
      return yield* call.via(long).stream(request);
    },
  };
}

describe('a router middleware using call.via', () => {
  const LONG = 'x'.repeat(50);
  const setup = (longModel: string) => {
    const quota = new RateLimiter({ name: 'long-quota', requestsPerMinute: 100 });
    const long = wired(longModel);
    const llm = wired('gpt-4o-mini').use(lengthRouter(long, quota, 20));
    return { quota, long, llm };
  };

  it('routes by length, for ask and stream, and describes itself like a built-in', async () => {
    const { llm } = setup('gpt-4o');
    expect(llm.describe()).toBe('router(openai:gpt-4o-mini)');
    expect((await llm.ask('short')).model).toBe('gpt-4o-mini');
    expect((await llm.ask(LONG)).model).toBe('gpt-4o');
    const { chunks } = await drain(llm.stream(LONG));
    expect(chunks.join('')).toBe('Hello from gpt-4o.');
  });

  it('an abort rejects at once with the reason, through the routed LLM', async () => {
    const { llm } = setup('gpt-4o~hang');
    const controller = new AbortController();
    const reason = new Error('user left');
    const pending = settle(
      llm.withRetry({ maxRetries: 3, ...fast }).ask(LONG, { signal: controller.signal }),
    );
    setTimeout(() => controller.abort(reason), 100);
    expect((await pending).error).toBe(reason);
    expect(server.hitCount('gpt-4o~hang')).toBe(1);
  });

  it('a deadline bounds the routed call', async () => {
    const { llm } = setup('gpt-4o~hang');
    const started = performance.now();
    const { error } = await settle(llm.ask(LONG, { deadline: 150 }));
    expect(error).toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/deadline of 150 ms/),
    });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('the routed attempts join the call history and its events, inside a retry', async () => {
    const model = 'gpt-4o~status=503;fail_first=1';
    const { llm } = setup(model);
    const bus = createEventBus();
    const events: (keyof LLMEvents)[] = [];
    bus.on('*', (type) => events.push(type));
    const reply = await llm
      .withRetry({ maxRetries: 2, ...fast })
      .withEvents(bus)
      .ask(LONG);
    expect(reply.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [model, 'error'],
      [model, 'success'],
    ]);
    expect(events).toEqual(['attempt', 'retry', 'attempt', 'success']);
  });

  it('healthCheck() and getMetrics() see its routes and its guards', async () => {
    const { llm, quota } = setup('gpt-4o');
    const telemetry = new Telemetry();
    const observed = llm.withTelemetry(telemetry);
    await observed.ask(LONG);
    const health = await observed.healthCheck({ timeout: 5_000 });
    expect(health.map((h) => [h.llm, h.reachable])).toEqual([
      ['openai:gpt-4o-mini', true],
      ['openai:gpt-4o', true],
    ]);
    expect(health[1]!.limiter).toMatchObject({ name: 'long-quota', requestsInWindow: 1 });
    const metrics = telemetry.getMetrics();
    expect(metrics.limiters).toEqual([
      { llm: 'router(openai:gpt-4o-mini)', name: 'long-quota', state: quota.describeState() },
    ]);
    expect([metrics.requests, metrics.attempts, metrics.byModel['gpt-4o']?.successes]).toEqual([1, 1, 1]);
  });
});
