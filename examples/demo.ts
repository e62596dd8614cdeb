/**
 * The first thing to run: `npm run demo`.
 *
 * Starts the fault server on a free port (no keys needed) and runs a production-style chain
 * against it: a primary that rate-limits and then overloads, a jittered retry, a fallback that
 * answers, and a streamed answer; then a circuit breaker that has opened sends traffic straight to
 * the fallback, and the chain's metrics are printed. Every attempt, retry delay and fallback is
 * logged as it happens through pino. `npm run demo -- --live` runs the same chain against the real
 * providers with OPENAI_API_KEY and ANTHROPIC_API_KEY.
 */
import pino from 'pino';
import pretty from 'pino-pretty';
import {
  AnthropicLLM,
  type Attempt,
  CircuitBreaker,
  createEventBus,
  describeError,
  type LLM,
  OpenAILLM,
  Telemetry,
} from 'llm-resilience';
import { FaultServer } from 'llm-resilience/testing';

const HAIKU = 'Rate limits at dawn / retries wait out the storm / the fallback answers';

const log = pino(
  { level: 'debug' },
  pretty({ sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }),
);

interface Endpoints {
  readonly primary: LLM;
  readonly fallback: LLM;
  close(): Promise<void>;
}

async function local(): Promise<Endpoints> {
  const server = await FaultServer.start();
  log.info(`fault server listening on ${server.url}`);
  return {
    // A scripted primary: a 429 with Retry-After, then 529s (overloaded) from then on.
    primary: new OpenAILLM('gpt-4o~status=429;retry_after_ms=400|status=529', {
      apiKey: 'demo',
      baseURL: server.openaiBaseURL,
    }),
    // The fallback streams slowly, so the stream below is visible; faults can also come by header.
    fallback: new AnthropicLLM('claude-haiku-4-5', {
      apiKey: 'demo',
      baseURL: server.anthropicBaseURL,
      defaultHeaders: { 'x-fault': `chunk_delay=60;text=${encodeURIComponent(HAIKU)}` },
    }),
    close: () => server.close(),
  };
}

function live(): Endpoints {
  if (!process.env.OPENAI_API_KEY || !process.env.ANTHROPIC_API_KEY) {
    throw new Error('--live needs OPENAI_API_KEY and ANTHROPIC_API_KEY in the environment');
  }
  return {
    primary: new OpenAILLM('gpt-4o-mini', { timeout: 30_000 }),
    fallback: new AnthropicLLM('claude-haiku-4-5', { timeout: 30_000, maxTokens: 200 }),
    close: async () => {},
  };
}

function history(attempts: readonly Attempt[]): string {
  const t0 = attempts[0]?.startedAt ?? 0;
  return attempts
    .map((a, i) => {
      const what = a.outcome === 'success' ? 'success' : describeError(a.error);
      return `  ${i + 1}. +${String(a.startedAt - t0).padStart(4)} ms  ${a.provider}:${a.model}  ${a.durationMs} ms  ${what}`;
    })
    .join('\n');
}

async function main(): Promise<void> {
  const endpoints = process.argv.includes('--live') ? live() : await local();
  try {
    const bus = createEventBus();
    bus.on('attempt', (a) =>
      log.debug(
        { model: a.model, ms: a.durationMs },
        a.outcome === 'success' ? 'attempt succeeded' : `attempt failed: ${describeError(a.error)}`,
      ),
    );

    // Two failed calls in a row open the primary's circuit: later calls skip it, with no retry delay.
    const breaker = new CircuitBreaker({ name: 'primary', failureThreshold: 2, recoveryTimeout: 30_000 });
    breaker.on('stateChange', ({ from, to }) => log.warn(`circuit of the primary: ${from} -> ${to}`));
    // OpenTelemetry metrics go to whatever MeterProvider the app registers (none here: a no-op; see
    // the README's Prometheus setup), and replies are priced from this table.
    const telemetry = new Telemetry({
      metrics: true,
      prices: {
        'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
        'claude-haiku-4-5': { input: 1, output: 5 },
      },
    });

    const llm = endpoints.primary
      .withRetry({
        maxRetries: 2,
        initialDelay: 200,
        backoffStrategy: 'jitter',
        onRetry: (error, attempt, delayMs) =>
          log.warn({ attempt, delayMs: Math.round(delayMs) }, `retrying after ${describeError(error)}`),
        onFailure: (error, attempts) =>
          log.error({ attempts }, `giving up on the primary: ${describeError(error)}`),
      })
      .withCircuitBreaker(breaker)
      .withFallbacks([endpoints.fallback.withRetry({ maxRetries: 1, initialDelay: 200 })], {
        onFallback: (error, next) => log.info({ next: next.model }, `falling back: ${describeError(error)}`),
      })
      .withEvents(bus)
      .withTelemetry(telemetry);

    log.info(`chain: ${llm.describe()}`);
    const reply = await llm.ask('Write a haiku about retries', { deadline: 20_000 });
    log.info({ model: reply.model, usage: reply.usage }, `reply: ${reply.text}`);
    console.log(`\nattempt history of ask():\n${history(reply.attempts)}\n`);

    log.info('now streaming the same chain');
    const stream = llm.stream('Tell me about fallbacks', { deadline: 20_000 });
    process.stdout.write('stream: ');
    for await (const chunk of stream)
      process.stdout.write(chunk.type === 'reset' ? '\n[reset]\n' : chunk.text);
    process.stdout.write('\n');
    const final = await stream.finalReply();
    log.info({ model: final.model, usage: final.usage, finishReason: final.finishReason }, 'stream complete');
    console.log(`\nattempt history of stream():\n${history(final.attempts)}\n`);

    log.info(`the circuit is ${breaker.state}: the next call goes straight to the fallback`);
    const fast = await llm.ask('One more, please', { deadline: 20_000 });
    console.log(`\nattempt history of the third call:\n${history(fast.attempts)}\n`);
    console.log(`telemetry.getMetrics():\n${JSON.stringify(telemetry.getMetrics(), null, 2)}`);
  } finally {
    await endpoints.close();
  }
}

main().catch((error: unknown) => {
  log.fatal(error);
  process.exitCode = 1;
});
