/**
 * Hedged requests on the wire: the real SDK clients against the fault server (`latency`,
 * `first_chunk_delay`, `hang`), through a relay that sees each request's connection close.
 * Real time: the delays are long and the assertions are about order and counts, not exact times.
 */
import {
  AnthropicLLM,
  CircuitBreaker,
  createEventBus,
  FallbackError,
  type LLM,
  OpenAILLM,
  route,
  StreamInterruptedError,
  Telemetry,
  TimeoutError,
} from '../lib/index.js';
import { FaultServer, faultModel } from '../lib/testing/index.js';
import { drain } from './helpers/script.js';
import { wireLLM } from './helpers/wire.js';
import { watch, type Watcher } from './helpers/watch.js';

let server: FaultServer;
let relay: Watcher;

beforeAll(async () => {
  server = await FaultServer.start();
  relay = await watch(server);
});
afterAll(async () => {
  await relay.close();
  await server.close();
});

const openai = (model: string): LLM =>
  new OpenAILLM(model, { apiKey: 'test-key', baseURL: relay.openaiBaseURL });
const anthropic = (model: string): LLM =>
  new AnthropicLLM(model, { apiKey: 'test-key', baseURL: relay.anthropicBaseURL });

/** The hedge events of a call. */
function hedges(): { bus: ReturnType<typeof createEventBus>; count: () => number } {
  const bus = createEventBus();
  let n = 0;
  bus.on('hedge', () => n++);
  return { bus, count: () => n };
}

describe('route() hedging on the wire', () => {
  it('ask: a slow primary is hedged; the backup answers; the primary request is closed by the client', async () => {
    const slow = faultModel('gpt-4o', { latency: 4_000 });
    const { bus, count } = hedges();
    const llm = route([openai(slow), openai('gpt-4o-mini')], { hedge: { after: 200 } }).withEvents(bus);
    const started = performance.now();
    const reply = await llm.ask('hi');
    const took = performance.now() - started;
    expect(reply.text).toBe('Hello from gpt-4o-mini.');
    expect(took).toBeLessThan(3_000);
    await relay.settled();
    const [primary] = relay.requests(slow);
    expect(primary).toMatchObject({ closedByClient: true });
    expect(primary!.endedAt! - primary!.startedAt).toBeLessThan(3_000); // cut, not waited out
    expect(count()).toBe(1);
    expect(reply.attempts.map((a) => `${a.model}:${a.outcome}`)).toEqual([
      'gpt-4o-mini:success',
      `${slow}:error`,
    ]);
    expect((reply.attempts[1]!.error as Error).name).toBe('AbortError');
  });

  it("stream: the first member to send a chunk wins; only its text reaches the caller; the other's stream is closed", async () => {
    const slow = faultModel('gpt-4o', { first_chunk_delay: 4_000, chunks: 5 });
    const fast = faultModel('claude-haiku-4-5', { text: 'the backup speaks' });
    const llm = route([openai(slow), anthropic(fast)], { hedge: { after: 200 } });
    const stream = llm.stream('hi');
    let text = '';
    for await (const chunk of stream) text += chunk.text;
    const reply = await stream.finalReply();
    expect(text).toBe('the backup speaks');
    expect(reply.text).toBe('the backup speaks');
    expect(reply.provider).toBe('anthropic');
    await relay.settled();
    expect(relay.requests(slow)).toEqual([expect.objectContaining({ stream: true, closedByClient: true })]);
    expect(relay.requests(fast)).toEqual([expect.objectContaining({ closedByClient: false })]);
  });

  it('does not hedge when the primary answers in time', async () => {
    const primary = faultModel('gpt-4o', { text: 'prompt answer' });
    const backup = faultModel('gpt-4o-mini', { text: 'never asked' });
    const { bus, count } = hedges();
    const llm = route([openai(primary), openai(backup)], { hedge: { after: 2_000 } }).withEvents(bus);
    for (let i = 0; i < 3; i++) expect((await llm.ask('hi')).text).toBe('prompt answer');
    for (let i = 0; i < 2; i++) expect((await llm.stream('hi').finalReply()).text).toBe('prompt answer');
    expect(relay.requests(backup)).toHaveLength(0);
    expect(count()).toBe(0);
  });

  it('respects maxExtra: no more requests start than 1 + maxExtra', async () => {
    const models = ['a', 'b', 'c', 'd'].map((m) => faultModel(`gpt-4o-${m}`, { first_chunk_delay: 1_200 }));
    const llm = route(models.map(openai), { hedge: { after: 100, maxExtra: 2 } });
    const reply = await llm.stream('hi').finalReply();
    expect(reply.text).toBe('Hello from gpt-4o-a.');
    await relay.settled();
    expect(models.map((m) => relay.requests(m).length)).toEqual([1, 1, 1, 0]);
    expect(models.slice(1, 3).map((m) => relay.requests(m)[0]!.closedByClient)).toEqual([true, true]);
  });

  it('aborting the call closes every request in flight', async () => {
    const models = ['a', 'b', 'c'].map((m) => faultModel(`gpt-4o-${m}`, { hang: true }));
    const llm = route(models.map(openai), { hedge: { after: 100, maxExtra: 2 } });
    const controller = new AbortController();
    const pending = llm.ask('hi', { signal: controller.signal });
    await until(() => models.every((m) => relay.requests(m).length === 1));
    const reason = new Error('the user left');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await relay.settled();
    expect(models.map((m) => relay.requests(m)[0]!.closedByClient)).toEqual([true, true, true]);
  });

  it('the deadline bounds the primary and its hedges', async () => {
    const models = ['a', 'b'].map((m) => faultModel(`gpt-4o-dl-${m}`, { first_chunk_delay: 5_000 }));
    const llm = route(models.map(openai), { hedge: { after: 100 } });
    const started = performance.now();
    await expect(llm.stream('hi', { deadline: 800 }).finalReply()).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(3_000);
    await relay.settled();
    expect(models.map((m) => relay.requests(m)[0]?.closedByClient)).toEqual([true, true]);
  });

  it('skips a member whose circuit is open: zero requests reach it', async () => {
    const broken = faultModel('gpt-4o-broken', { status: 500 });
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const llm = route([openai(broken).withCircuitBreaker(breaker), openai('gpt-4o-mini')]);
    expect((await llm.ask('hi')).text).toBe('Hello from gpt-4o-mini.');
    expect(breaker.state).toBe('open');
    for (let i = 0; i < 5; i++) await llm.ask('hi');
    expect(relay.requests(broken)).toHaveLength(1);
  });
});

describe('route() streams cut after the first chunk (onInterrupt)', () => {
  // Both wire formats: the member cut mid-stream is OpenAI, the one that goes on is Anthropic. Straight
  // to the fault server (the relay would keep a dropped connection open).
  const cut = faultModel('gpt-4o', { chunks: 5, drop_after: 2 });
  const openai = (model: string): LLM => wireLLM(server, 'openai', model);
  const anthropic = (model: string): LLM => wireLLM(server, 'anthropic', model);
  beforeEach(() => server.resetHits());

  it("'error' (the default) ends the stream with StreamInterruptedError and tries nobody else", async () => {
    const backup = faultModel('claude-haiku-4-5', { chunks: 3 });
    const { chunks: seen, error } = await drain(route([openai(cut), anthropic(backup)]).stream('hi'));
    expect(seen).toEqual(['w1', ' w2']);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).partialText).toBe('w1 w2');
    expect(server.hitCount(backup)).toBe(0);
  });

  it("'restart' goes on with the next member after a reset chunk, under onFallback", async () => {
    const backup = faultModel('claude-haiku-4-5', { chunks: 3, text: 'restart-ok' });
    const told: string[] = [];
    const bus = createEventBus();
    bus.on('fallback', ({ from, to }) => told.push(`event ${from} -> ${to}`));
    const llm = route([openai(cut), anthropic(backup)], {
      onInterrupt: 'restart',
      onFallback: (error, next) => told.push(`${(error as Error).name} -> ${next.model}`),
    }).withEvents(bus);
    const stream = llm.stream('hi');
    const { chunks: seen, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(seen).toEqual(['w1', ' w2', '<reset>', 'w1', ' w2', ' w3']);
    const reply = await stream.finalReply();
    expect(reply).toMatchObject({ text: 'w1 w2 w3', provider: 'anthropic' });
    expect(reply.attempts.map((a) => `${a.model}:${a.outcome}`)).toEqual([
      `${cut}:error`,
      `${backup}:success`,
    ]);
    expect(told).toEqual([
      `event openai:${cut} -> anthropic:${backup}`,
      `StreamInterruptedError -> ${backup}`,
    ]);
  });

  it("'restart' with every member cut ends in a FallbackError with each interruption, each member tried once", async () => {
    const alsoCut = faultModel('claude-haiku-4-5', { chunks: 4, drop_after: 1 });
    const llm = route([openai(cut), anthropic(alsoCut)], { onInterrupt: 'restart' });
    const { chunks: seen, error } = await drain(llm.stream('hi'));
    expect(seen).toEqual(['w1', ' w2', '<reset>', 'w1']);
    expect(error).toBeInstanceOf(FallbackError);
    const { errors } = error as FallbackError;
    expect(errors.map((e) => (e as Error).name)).toEqual([
      'StreamInterruptedError',
      'StreamInterruptedError',
    ]);
    expect([server.hitCount(cut), server.hitCount(alsoCut)]).toEqual([1, 1]);
  });

  it("'restart' keeps an error the fallbackCondition refuses, and rejects a bad value at once", async () => {
    const backup = faultModel('claude-haiku-4-5', { chunks: 3, text: 'never' });
    const llm = route([openai(cut), anthropic(backup)], {
      onInterrupt: 'restart',
      fallbackCondition: (e) => !(e instanceof StreamInterruptedError),
    });
    const { error } = await drain(llm.stream('hi'));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(server.hitCount(backup)).toBe(0);
    expect(() => route([openai(cut)], { onInterrupt: 'again' as never })).toThrow(
      /`onInterrupt` must be 'error' or 'restart', got "again"/,
    );
  });
});

describe('route() in the chain', () => {
  it('healthCheck() and Telemetry see every member and the breakers in front of them', async () => {
    const breaker = new CircuitBreaker({ name: 'primary-circuit' });
    const telemetry = new Telemetry();
    const llm = route([openai('gpt-4o').withCircuitBreaker(breaker), anthropic('claude-haiku-4-5')], {
      strategy: 'round-robin',
    }).withTelemetry(telemetry);
    const health = await llm.healthCheck({ timeout: 5_000 });
    expect(health.map((h) => [h.llm, h.reachable, h.breaker])).toEqual([
      ['openai:gpt-4o', true, 'closed'],
      ['anthropic:claude-haiku-4-5', true, undefined],
    ]);
    for (let i = 0; i < 4; i++) await llm.ask('hi');
    const metrics = telemetry.getMetrics();
    expect(metrics.breakers.map((b) => b.name)).toEqual(['primary-circuit']);
    expect(metrics.routes).toEqual({
      'breaker(openai:gpt-4o)': { requests: 2, share: 0.5 },
      'anthropic:claude-haiku-4-5': { requests: 2, share: 0.5 },
    });
  });
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
