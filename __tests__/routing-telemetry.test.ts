import { SpanKind } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { route, Telemetry } from '../lib/index.js';
import { ScriptLLM, settle } from './helpers/script.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeEach(() => {
  exporter.reset();
  jest.useFakeTimers();
});
afterEach(() => jest.useRealTimers());
afterAll(() => provider.shutdown());

describe('route() telemetry', () => {
  it('counts hedged calls, hedge wins and each member’s share of the traffic', async () => {
    // Calls 1 and 3 of the primary stall: they are hedged, and the backup wins them.
    const primary = new ScriptLLM('primary', [
      { delayMs: 5_000 },
      { delayMs: 10 },
      { delayMs: 5_000 },
      { delayMs: 10 },
    ]);
    const backup = new ScriptLLM('backup', [{ delayMs: 20 }]);
    const telemetry = new Telemetry();
    const llm = route([primary, backup], { hedge: { after: 100 } }).withTelemetry(telemetry);
    for (let i = 0; i < 4; i++) await settle(llm.ask(`call ${i}`));
    const metrics = telemetry.getMetrics();
    expect(metrics).toMatchObject({
      requests: 4,
      successes: 4,
      attempts: 6,
      hedges: 2,
      hedgeWins: 2,
      routes: {
        'openai:primary': { requests: 4, share: 4 / 6 },
        'openai:backup': { requests: 2, share: 2 / 6 },
      },
    });
    expect(metrics.byModel).toEqual({
      primary: { successes: 2, failures: 2 }, // the two requests cancelled when they lost
      backup: { successes: 2, failures: 0 },
    });
  });

  it('leaves the routing figures out of a chain without a route', async () => {
    const telemetry = new Telemetry();
    await settle(new ScriptLLM('m', [{}]).withTelemetry(telemetry).ask('hi'));
    expect(telemetry.getMetrics()).not.toHaveProperty('hedges');
    expect(telemetry.getMetrics()).not.toHaveProperty('routes');
  });

  it('adds span events for a hedge starting and a hedge winning', async () => {
    const slow = new ScriptLLM('slow', [{ delayMs: 5_000 }]);
    const fast = new ScriptLLM('fast', [{ delayMs: 20 }]);
    const telemetry = new Telemetry({ tracing: provider.getTracer('routing-test') });
    await settle(
      route([slow, fast], { hedge: { after: 150 } })
        .withTelemetry(telemetry)
        .ask('hi'),
    );
    const [call] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.INTERNAL);
    expect(call!.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        'hedge',
        {
          'llm_resilience.from': 'openai:slow',
          'llm_resilience.to': 'openai:fast',
          'llm_resilience.after_ms': 150,
        },
      ],
      ['hedge_win', { 'llm_resilience.winner': 'openai:fast' }],
    ]);
    const attempts = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(attempts.map((s) => [s.name, s.attributes['error.type']])).toEqual(
      expect.arrayContaining([
        ['chat fast', undefined],
        ['chat slow', 'AbortError'],
      ]),
    );
  });
});
