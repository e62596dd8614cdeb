import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Telemetry } from '../lib/index.js';
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
      'resilient_llm.stop_reason': 'tool-calls',
      'resilient_llm.tool_calls': 2,
    });
    expect(answering!.attributes).toMatchObject({
      'gen_ai.response.finish_reasons': ['stop'],
      'resilient_llm.stop_reason': 'stop',
      'resilient_llm.tool_calls': 0,
    });
  });
});
