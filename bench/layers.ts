/**
 * Which layer costs what: CPU per call over the in-process transport for `OpenAILLM` with one
 * layer at a time, next to the raw client, bare, (c) and (d) — the attribution for section 1.
 */
import { createEventBus, type LLM, OpenAILLM, RateLimiter, Telemetry } from './lib.js';
import { cpuPerCall } from './overhead.js';
import { micros, type Table } from './stats.js';
import { fullChain, ours, rawOpenAI, type Stack, UNBINDING_LIMITS, type Upstream } from './stacks.js';

const LIMITS = { requestsPerMinute: 100_000_000 };

function variants(up: Upstream): Stack[] {
  const p = (): OpenAILLM =>
    new OpenAILLM(up.primary, {
      apiKey: 'sk-bench',
      baseURL: up.baseURL,
      ...(up.fetch ? { fetch: up.fetch } : {}),
    });
  const v = (id: string, label: string, llm: LLM): Stack => ours(id, label, llm);
  return [
    rawOpenAI(up),
    v('b', 'bare', p()),
    v('retry', '+ withRetry(3)', p().withRetry(3)),
    v(
      'c',
      '+ withRetry(3).withFallbacks([backup.withRetry(3)]) = (c)',
      p()
        .withRetry(3)
        .withFallbacks([p().withRetry(3)]),
    ),
    v('breaker', '+ withCircuitBreaker()', p().withCircuitBreaker()),
    v('rpm', '+ withRateLimit({ requestsPerMinute })', p().withRateLimit(new RateLimiter(LIMITS))),
    v(
      'rpm+tpm',
      '+ withRateLimit({ requestsPerMinute, tokensPerMinute })',
      p().withRateLimit(new RateLimiter(UNBINDING_LIMITS)),
    ),
    v(
      'rpm-nohdr',
      '+ withRateLimit({ requestsPerMinute, respectProviderHeaders: false })',
      p().withRateLimit(new RateLimiter({ ...LIMITS, respectProviderHeaders: false })),
    ),
    v('cache', '+ withCache() (always a miss)', p().withCache({ maxEntries: 1000 })),
    v('telemetry', '+ withTelemetry()', p().withTelemetry(new Telemetry())),
    v('events', '+ withEvents(bus without listeners)', p().withEvents(createEventBus())),
    { ...fullChain(up), id: 'd' },
  ];
}

export async function runLayerCosts(up: Upstream, rounds: number, block: number): Promise<Table> {
  const stacks = variants(up);
  for (const s of stacks) for (let i = 0; i < block; i++) await s.ask(`warm-up ${i}`);
  const cpu = await cpuPerCall(stacks, rounds, block);
  return {
    title: 'In-process CPU per call, layer by layer',
    headers: ['stack', 'CPU µs/call', 'added vs (a) raw', 'added vs bare OpenAILLM'],
    rows: stacks.map((s) => [
      ['a', 'b', 'd'].includes(s.id) ? `(${s.id}) ${s.label}` : `OpenAILLM ${s.label}`,
      micros(cpu.perCall(s.id)),
      s.id === 'a' ? '–' : micros(cpu.added(s.id, 'a')),
      s.id === 'a' || s.id === 'b' ? '–' : micros(cpu.added(s.id, 'b')),
    ]),
    notes: [
      `Over the in-process transport, ${rounds} rotating blocks of ${block} sequential calls per row; CPU µs/call is the median block, "added" the median over rounds of the paired difference (same round). Limits far above what the run reaches (never waits); every prompt differs (the cache always misses).`,
    ],
  };
}
