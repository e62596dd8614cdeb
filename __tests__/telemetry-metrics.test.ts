/**
 * OpenTelemetry metrics and cost (DESIGN §11): the real OpenAI SDK against the fault server,
 * read back through `@opentelemetry/sdk-metrics`' in-memory pipeline.
 */
import { metrics as metricsApi } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  CircuitBreaker,
  type LLM,
  type LLMRequest,
  OpenAILLM,
  ResponseCache,
  type Reply,
  ServerError,
  Telemetry,
} from '../lib/index.js';
import type { Completion } from '../lib/providers/provider.js';
import { FaultServer, faultModel } from '../lib/testing/index.js';
import { drain, ScriptLLM } from './helpers/script.js';

function pipeline() {
  const reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 2 ** 30,
  });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<Map<string, MetricData>> => {
    const { resourceMetrics } = await reader.collect();
    const found = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics)
      for (const m of scope.metrics) found.set(m.descriptor.name, m);
    return found;
  };
  return { provider, meter: provider.getMeter('test'), collect, close: () => provider.shutdown() };
}

type Point = DataPoint<unknown>;
const points = (m: MetricData | undefined): Point[] => (m?.dataPoints ?? []) as Point[];
const withAttrs = (m: MetricData | undefined, attrs: Record<string, unknown>): Point[] =>
  points(m).filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));

describe('Telemetry({ metrics })', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await FaultServer.start();
  });
  afterAll(() => server.close());

  const openai = (model: string): LLM =>
    new OpenAILLM(model, { apiKey: 'test-key', baseURL: server.openaiBaseURL });

  it('records the GenAI duration and token histograms and our counters, with their attributes', async () => {
    const otel = pipeline();
    const telemetry = new Telemetry({ metrics: otel.meter });
    const primary = faultModel('gpt-4o', { status: 500 });
    const backup = faultModel('gpt-4o-mini', { text: 'Backup answer.' });
    const llm = openai(primary)
      .withRetry({ maxRetries: 1, initialDelay: 1 })
      .withFallbacks([openai(backup)])
      .withCache()
      .withTelemetry(telemetry);

    const live = await llm.ask('Hi');
    const hit = await llm.ask('Hi');
    const streamed = await drain(llm.stream('Hi'));
    expect(hit.cached).toBe('hit');
    expect(streamed.error).toBeUndefined();
    const broken = openai(faultModel('gpt-4o', { status: 401 })).withTelemetry(telemetry);
    await expect(broken.ask('Hi')).rejects.toMatchObject({ name: 'AuthenticationError' });

    const m = await otel.collect();
    const duration = m.get('gen_ai.client.operation.duration');
    expect(duration?.descriptor.unit).toBe('s');
    const ok = withAttrs(duration, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': primary,
      'gen_ai.response.model': live.model,
    });
    expect(ok).toHaveLength(1);
    expect((ok[0]!.value as Histogram).count).toBe(3); // live, hit, streamed hit
    const failed = withAttrs(duration, { 'error.type': 'AuthenticationError' });
    expect((failed[0]!.value as Histogram).count).toBe(1);

    const tokens = m.get('gen_ai.client.token.usage');
    const input = withAttrs(tokens, { 'gen_ai.token.type': 'input', 'gen_ai.request.model': primary });
    const output = withAttrs(tokens, { 'gen_ai.token.type': 'output', 'gen_ai.request.model': primary });
    // Only the live reply spent tokens; the hits recorded none.
    expect(input.map((p) => [(p.value as Histogram).count, (p.value as Histogram).sum])).toEqual([
      [1, live.usage.inputTokens],
    ]);
    expect((output[0]!.value as Histogram).sum).toBe(live.usage.outputTokens);

    const attempts = m.get('llm_resilience.attempts');
    expect(
      withAttrs(attempts, {
        'gen_ai.request.model': primary,
        'llm_resilience.outcome': 'error',
        'error.type': 'ServerError',
      })[0]!.value,
    ).toBe(2);
    expect(
      withAttrs(attempts, { 'gen_ai.request.model': backup, 'llm_resilience.outcome': 'success' })[0]!.value,
    ).toBe(1);
    expect(points(m.get('llm_resilience.retries'))[0]!.value).toBe(1);
    expect(points(m.get('llm_resilience.fallbacks'))[0]!.value).toBe(1);
    const lookups = m.get('llm_resilience.cache.lookups');
    expect(withAttrs(lookups, { 'llm_resilience.cache.result': 'miss' })[0]!.value).toBe(1);
    expect(withAttrs(lookups, { 'llm_resilience.cache.result': 'hit' })[0]!.value).toBe(2);
    await otel.close();
  });

  it('counts stale serves, limiter waits and breaker state', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const otel = pipeline();
      const telemetry = new Telemetry({ metrics: otel.meter });
      const breaker = new CircuitBreaker({ name: 'primary', failureThreshold: 1 });
      const failing = new ScriptLLM('m', [
        { chunks: ['cached answer'] },
        {
          error: new ServerError('down', {
            provider: 'openai',
            model: 'm',
            status: 500,
          }),
        },
      ]);
      const cache = new ResponseCache({ ttl: 1_000, staleIfError: 60_000 });
      const llm = failing
        .withRateLimit({ requestsPerMinute: 1, windowMs: 100, maxWait: 1_000 })
        .withCircuitBreaker(breaker)
        .withCache(cache)
        .withTelemetry(telemetry);
      await llm.ask('Hi');
      jest.setSystemTime(Date.now() + 1_000);
      const stale = await llm.ask('Hi');
      expect(stale.cached).toBe('stale');
      const paced = new ScriptLLM('w', [{}])
        .withRateLimit({ requestsPerMinute: 1, windowMs: 100, maxWait: 1_000 })
        .withTelemetry(telemetry);
      const both = Promise.all([paced.ask('a'), paced.ask('b')]);
      await jest.advanceTimersByTimeAsync(200);
      await both;
      jest.useRealTimers(); // the reader's collect() runs on real timers
      const m = await otel.collect();
      expect(
        withAttrs(m.get('llm_resilience.rate_limit.waits'), { 'gen_ai.request.model': 'w' })[0]!.value,
      ).toBe(1);
      const waited = withAttrs(m.get('llm_resilience.rate_limit.wait.duration'), {
        'gen_ai.request.model': 'w',
      });
      expect((waited[0]!.value as Histogram).sum).toBeCloseTo(0.1, 3);
      expect(
        withAttrs(m.get('llm_resilience.cache.lookups'), { 'llm_resilience.cache.result': 'stale' })[0]!
          .value,
      ).toBe(1);
      expect(
        withAttrs(m.get('llm_resilience.circuit_breaker.transitions'), {
          'llm_resilience.circuit_breaker.name': 'primary',
          'llm_resilience.circuit_breaker.state': 'open',
        })[0]!.value,
      ).toBe(1);
      expect(
        withAttrs(m.get('llm_resilience.circuit_breaker.state'), {
          'llm_resilience.circuit_breaker.name': 'primary',
        })[0]!.value,
      ).toBe(2);
      await otel.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('metrics: true takes the global MeterProvider at the first call; nothing is recorded without one', async () => {
    const before = new Telemetry({ metrics: true });
    await new ScriptLLM('m', [{}]).withTelemetry(before).ask('Hi'); // no provider: a no-op
    const otel = pipeline();
    metricsApi.setGlobalMeterProvider(otel.provider);
    try {
      const telemetry = new Telemetry({ metrics: true });
      await new ScriptLLM('m', [{}]).withTelemetry(telemetry).ask('Hi');
      const m = await otel.collect();
      expect(points(m.get('gen_ai.client.operation.duration'))).toHaveLength(1);
    } finally {
      metricsApi.disable();
      await otel.close();
    }
  });

  it('rejects a bad metrics option, naming it', () => {
    expect(() => new Telemetry({ metrics: 'yes' as never })).toThrow(/`metrics`/);
  });
});

/** A scripted provider that reports cached input tokens, as providers that support prompt caching do. */
class CachingScript extends ScriptLLM {
  readonly #usage: Reply['usage'] & { cachedInputTokens: number };
  constructor(model: string, usage: Reply['usage'] & { cachedInputTokens: number }) {
    super(model, [{ chunks: ['priced'] }]);
    this.#usage = usage;
  }
  protected override async complete(
    request: LLMRequest,
    signal: AbortSignal | undefined,
  ): Promise<Completion> {
    const done = await super.complete(request, signal);
    return { ...done, usage: this.#usage };
  }
}

describe('Telemetry({ prices })', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await FaultServer.start();
  });
  afterAll(() => server.close());

  const prices = {
    'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
    'gpt-4o-mini': { input: 0.15, output: 0.6 },
  };

  it('is exact for a scripted run: by model, cached input at its price, hits and unpriced models free', async () => {
    const spans = new InMemorySpanExporter();
    const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer(
      't',
    );
    const telemetry = new Telemetry({ prices, tracing: tracer });
    const openai = (model: string) =>
      new OpenAILLM(model, { apiKey: 'test-key', baseURL: server.openaiBaseURL });
    const mini = openai('gpt-4o-mini').withCache().withTelemetry(telemetry);
    const a = await mini.ask('Hello there');
    const b = await mini.ask('Something longer, to count more tokens than the first');
    const hit = await mini.ask('Hello there');
    expect(hit.cached).toBe('hit');
    const unpriced = await openai('o9-unpriced').withTelemetry(telemetry).ask('Hi');
    const cachedUsage = { inputTokens: 1_000, outputTokens: 200, totalTokens: 1_200, cachedInputTokens: 600 };
    await new CachingScript('gpt-4o', cachedUsage).withTelemetry(telemetry).ask('Hi');

    const miniIn = a.usage.inputTokens + b.usage.inputTokens;
    const miniOut = a.usage.outputTokens + b.usage.outputTokens;
    const miniCost = (miniIn * 0.15 + miniOut * 0.6) / 1e6;
    const gpt4oCost = (400 * 2.5 + 600 * 1.25 + 200 * 10) / 1e6; // 0.00375
    expect(unpriced.usage.inputTokens).toBeGreaterThan(0);
    const { cost } = telemetry.getMetrics();
    expect(cost).toEqual({
      total: miniCost + gpt4oCost,
      byModel: { 'gpt-4o-mini': miniCost, 'gpt-4o': gpt4oCost },
    });
    expect(gpt4oCost).toBe(0.00375);

    const costs = spans
      .getFinishedSpans()
      .filter((s) => s.attributes['gen_ai.usage.cost'] !== undefined)
      .map((s) => s.attributes['gen_ai.usage.cost']);
    expect(costs).toEqual([
      (a.usage.inputTokens * 0.15 + a.usage.outputTokens * 0.6) / 1e6,
      (b.usage.inputTokens * 0.15 + b.usage.outputTokens * 0.6) / 1e6,
      0, // the cache hit
      0, // unpriced
      gpt4oCost,
    ]);
  });

  it('reset() zeroes the cost; getMetrics() has no cost without prices', async () => {
    const telemetry = new Telemetry({ prices });
    await new CachingScript('gpt-4o', {
      inputTokens: 10,
      outputTokens: 10,
      totalTokens: 20,
      cachedInputTokens: 0,
    })
      .withTelemetry(telemetry)
      .ask('Hi');
    expect(telemetry.getMetrics().cost?.total).toBe((10 * 2.5 + 10 * 10) / 1e6);
    telemetry.reset();
    expect(telemetry.getMetrics().cost).toEqual({ total: 0, byModel: {} });
    expect(new Telemetry().getMetrics().cost).toBeUndefined();
  });

  it('rejects a bad price, naming the model and the field', () => {
    expect(() => new Telemetry({ prices: { 'gpt-4o': { input: -1, output: 1 } } })).toThrow(
      /prices\["gpt-4o"\]\.input/,
    );
    expect(() => new Telemetry({ prices: { 'gpt-4o': { input: 1 } as never } })).toThrow(/output/);
  });
});
