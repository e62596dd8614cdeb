import {
  type Context,
  context,
  type ContextManager,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { AuthenticationError, OpenAILLM, ServerError, Telemetry } from '../lib/index.js';
import { FaultServer, faultModel } from '../lib/testing/index.js';
import { drain, ScriptLLM } from './helpers/script.js';

/** The smallest context manager: enough for a span made synchronously inside `context.with`. */
class StackContextManager implements ContextManager {
  #stack: Context[] = [];
  active(): Context {
    return this.#stack[this.#stack.length - 1] ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.#stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#stack = [];
    return this;
  }
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new StackContextManager());
});
afterAll(async () => {
  trace.disable();
  context.disable();
  await provider.shutdown();
});
beforeEach(() => exporter.reset());

const boom = (): ServerError => new ServerError('boom', { provider: 'openai', model: 'm', status: 500 });
const ms = (time: [number, number]): number => time[0] * 1000 + time[1] / 1e6;
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

function callAndAttempts(): { call: ReadableSpan; attempts: ReadableSpan[] } {
  const spans = exporter.getFinishedSpans();
  const roots = spans.filter((s) => s.kind === SpanKind.INTERNAL);
  expect(roots).toHaveLength(1);
  const call = roots[0]!;
  return { call, attempts: spans.filter((s) => s.parentSpanContext?.spanId === idOf(call)) };
}

describe('OpenTelemetry spans', () => {
  it('are not made unless tracing is enabled', async () => {
    const llm = new ScriptLLM('m', [{}]).withTelemetry(new Telemetry());
    await llm.ask('Hi');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('make one call span with one child span per attempt, and retries and fallbacks as events', async () => {
    const primary = new ScriptLLM('primary', [{ error: boom() }]);
    const backup = new ScriptLLM('backup', [{ chunks: ['fine'] }]);
    const llm = primary
      .withRetry({ maxRetries: 1, initialDelay: 1, backoffStrategy: 'fixed' })
      .withFallbacks([backup])
      .withTelemetry(new Telemetry({ tracing: true }));
    const reply = await llm.ask('Hi', { temperature: 0, maxTokens: 50 });

    const { call, attempts } = callAndAttempts();
    expect(call.name).toBe('chat primary');
    expect(call.instrumentationScope.name).toBe('llm-resilience');
    expect(call.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'primary',
      'gen_ai.request.temperature': 0,
      'gen_ai.request.max_tokens': 50,
      'gen_ai.response.model': 'backup',
      'gen_ai.usage.input_tokens': 1,
      'gen_ai.usage.output_tokens': 1,
      'gen_ai.response.finish_reasons': ['stop'],
      'llm_resilience.stop_reason': 'stop',
      'llm_resilience.tool_calls': 0,
      'llm_resilience.attempts': 3,
    });
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        'retry',
        {
          'gen_ai.request.model': 'primary',
          'error.type': 'ServerError',
          'llm_resilience.attempt': 1,
          'llm_resilience.delay_ms': 1,
        },
      ],
      [
        'fallback',
        {
          'error.type': 'RetryError',
          'llm_resilience.from': 'retry(openai:primary ×2)',
          'llm_resilience.to': 'openai:backup',
        },
      ],
    ]);

    expect(attempts.map((s) => s.name)).toEqual(['chat primary', 'chat primary', 'chat backup']);
    attempts.forEach((span, i) => {
      const attempt = reply.attempts[i]!;
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.spanContext().traceId).toBe(call.spanContext().traceId);
      expect(ms(span.startTime)).toBe(attempt.startedAt);
      expect(ms(span.endTime)).toBe(attempt.startedAt + attempt.durationMs);
    });
    expect(attempts[0]!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'primary',
      'error.type': 'ServerError',
    });
    expect(attempts[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
    expect(attempts[2]!.attributes).toMatchObject({
      'gen_ai.request.model': 'backup',
      'gen_ai.response.model': 'backup',
      'gen_ai.usage.input_tokens': 1,
      'gen_ai.usage.output_tokens': 1,
    });
    expect(attempts[2]!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('mark a failed call with error.type and an error status', async () => {
    const llm = new ScriptLLM('m', [
      { error: new AuthenticationError('bad key', { status: 401 }) },
    ]).withTelemetry(new Telemetry({ tracing: true }));
    await expect(llm.ask('Hi')).rejects.toBeInstanceOf(AuthenticationError);
    const { call, attempts } = callAndAttempts();
    expect(call.attributes['error.type']).toBe('AuthenticationError');
    expect(call.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad key' });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.attributes['error.type']).toBe('AuthenticationError');
  });

  it('cover a stream, and mark a cache hit with no attempt span', async () => {
    const llm = new ScriptLLM('m', [{ chunks: ['a', 'b'] }])
      .withCache()
      .withTelemetry(new Telemetry({ tracing: true }));
    await drain(llm.stream('Hi'));
    const first = callAndAttempts();
    expect(first.attempts).toHaveLength(1);
    expect(first.call.attributes['gen_ai.usage.output_tokens']).toBe(2);
    exporter.reset();
    await llm.ask('Hi');
    const hit = callAndAttempts();
    expect(hit.attempts).toEqual([]);
    expect(hit.call.attributes['llm_resilience.cache_hit']).toBe(true);
    expect(hit.call.events.map((e) => e.name)).toEqual(['cache_hit']);
  });

  it('mark a stream the consumer leaves early as cancelled, not failed', async () => {
    const llm = new ScriptLLM('m', [{ chunks: ['a', 'b', 'c'] }]).withTelemetry(
      new Telemetry({ tracing: true }),
    );
    for await (const chunk of llm.stream('Hi')) if (chunk.text === 'a') break;
    const [call] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.INTERNAL);
    expect(call!.attributes['llm_resilience.cancelled']).toBe(true);
    expect(call!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('nest the call span under the application span active when the call starts', async () => {
    const tracer = provider.getTracer('app');
    const app = tracer.startSpan('handle request');
    const llm = new ScriptLLM('m', [{}]).withTelemetry(new Telemetry({ tracing: true }));
    await context.with(trace.setSpan(context.active(), app), () => llm.ask('Hi'));
    app.end();
    const call = exporter
      .getFinishedSpans()
      .find((s) => s.name === 'chat m' && s.kind === SpanKind.INTERNAL)!;
    expect(call.parentSpanContext?.spanId).toBe(app.spanContext().spanId);
  });

  it('go to the tracer given instead of the global one', async () => {
    const llm = new ScriptLLM('m', [{}]).withTelemetry(
      new Telemetry({ tracing: provider.getTracer('mine') }),
    );
    await llm.ask('Hi');
    const scopes = new Set(exporter.getFinishedSpans().map((s) => s.instrumentationScope.name));
    expect(scopes).toEqual(new Set(['mine']));
  });

  it('carry GenAI attributes for real SDK calls through the fault server', async () => {
    const server = await FaultServer.start();
    try {
      const model = faultModel('gpt-4o-mini', { status: 429, retry_after_ms: 1, fail_first: 1 });
      const llm = new OpenAILLM(model, { apiKey: 'test-key', baseURL: server.openaiBaseURL })
        .withRetry({ maxRetries: 2, initialDelay: 1 })
        .withTelemetry(new Telemetry({ tracing: true }));
      const reply = await llm.ask('Hi');
      const { call, attempts } = callAndAttempts();
      expect(call.attributes).toMatchObject({
        'gen_ai.system': 'openai',
        'gen_ai.request.model': model,
        'gen_ai.response.model': reply.model,
        'gen_ai.usage.input_tokens': reply.usage.inputTokens,
        'gen_ai.usage.output_tokens': reply.usage.outputTokens,
      });
      expect(call.events.map((e) => e.name)).toEqual(['retry']);
      expect(attempts.map((s) => s.attributes['error.type'])).toEqual(['RateLimitError', undefined]);
    } finally {
      await server.close();
    }
  });
});
