import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { AnthropicLLM, Telemetry } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { TurnLLM } from './helpers/turns.js';

const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer(
  'test',
);

afterEach(() => exporter.reset());

describe('telemetry spans with tools', () => {
  it('record the finish reasons, the stop reason and the number of tool calls', async () => {
    const llm = new TurnLLM([
      [
        { id: 'c1', name: 'weather', input: { city: 'Oslo' } },
        { id: 'c2', name: 'weather', input: { city: 'Rome' } },
      ],
      'Both sunny',
    ]).withTelemetry(new Telemetry({ tracing: tracer }));
    await llm.ask('Weather in Oslo and Rome?');
    await llm.ask('And now?');
    const [calling, answering] = exporter.getFinishedSpans();
    expect(calling!.attributes).toMatchObject({
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'llm_resilience.stop_reason': 'tool-calls',
      'llm_resilience.tool_calls': 2,
    });
    expect(answering!.attributes).toMatchObject({
      'gen_ai.response.finish_reasons': ['stop'],
      'llm_resilience.stop_reason': 'stop',
      'llm_resilience.tool_calls': 0,
    });
  });
});

describe('telemetry spans with tools, on the wire', () => {
  it("carry the provider's finish reason and the tool-call count on the call and the answering attempt", async () => {
    const server = await FaultServer.start({
      replies: {
        calls: {
          toolCalls: [
            { name: 'weather', input: { city: 'Oslo' } },
            { name: 'weather', input: { city: 'Rome' } },
            { name: 'time', input: {} },
          ],
        },
      },
    });
    try {
      const llm = new AnthropicLLM('claude-haiku-4-5~reply=calls', {
        apiKey: 'k',
        baseURL: server.anthropicBaseURL,
      }).withTelemetry(new Telemetry({ tracing: tracer }));
      const tools = ['weather', 'time'].map((name) => ({ name, parameters: { type: 'object' } }));
      await llm.ask('Weather and time?', { tools });
      const spans = exporter.getFinishedSpans();
      const attempt = spans.find((s) => s.kind === SpanKind.CLIENT)!;
      const call = spans.find((s) => s.kind === SpanKind.INTERNAL)!;
      for (const span of [attempt, call]) {
        expect(span.attributes).toMatchObject({
          'gen_ai.response.finish_reasons': ['tool_use'],
          'llm_resilience.stop_reason': 'tool-calls',
          'llm_resilience.tool_calls': 3,
        });
      }
    } finally {
      await server.close();
    }
  });
});
