/**
 * What a shared state store costs per call (issue 6): a breaker and a limiter with no store (in
 * memory, the default) against the same with a `RedisStateStore`, against no guards at all.
 *
 * `npx tsx bench/redis-overhead.ts` starts its own redis-server on a free loopback port (or uses
 * REDIS_URL). Two settings:
 * 1. Guard cost alone: an in-process LLM that answers at once, so every microsecond is the guards'.
 *    Sequential calls in rounds (stacks interleaved, order rotating); the median round, per call.
 *    Then 32 calls in flight: calls per second.
 * 2. End to end: `OpenAILLM` against the fault server over HTTP, sequential; median and p99.
 *
 * BENCH_LIB=/path/to/lib/index.ts adds a "memory@base" stack built from another copy of the library
 * (e.g. the commit before stores), interleaved with the others: the in-memory path against what it was.
 */
import { pathToFileURL } from 'node:url';
import Redis from 'ioredis';
import { FaultServer } from '../lib/testing/index.js';
import { startRedis } from '../__tests__/helpers/redis.js';

type Lib = typeof import('../lib/index.js');

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const PER_ROUND = Number(process.env.PER_ROUND ?? 2_000);
const CONCURRENT = 32;
const HTTP_CALLS = Number(process.env.HTTP_CALLS ?? 600);

interface Stack {
  readonly id: string;
  readonly llm: { ask(input: string): Promise<unknown> };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;

/** An LLM that answers at once, without I/O. */
function instantLLM(lib: Lib) {
  class Instant extends lib.LLM {
    readonly model = 'instant';
    readonly provider = 'openai' as const;
    describe(): string {
      return 'openai:instant';
    }
    async _ask(): Promise<import('../lib/index.js').Reply> {
      return {
        text: 'ok',
        content: [{ type: 'text', text: 'ok' }],
        toolCalls: [],
        model: 'instant',
        provider: 'openai',
        usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
        stopReason: 'stop',
        finishReason: 'stop',
        raw: {},
        attempts: [],
      };
    }
    // eslint-disable-next-line require-yield
    async *_stream(): AsyncGenerator<never, import('../lib/index.js').Reply, undefined> {
      return this._ask();
    }
  }
  return new Instant();
}

/** The guards under test, as one chain: a limiter inside a breaker. `store` absent: in memory. */
function guarded(lib: Lib, inner: import('../lib/index.js').LLM, name: string, store?: unknown) {
  const shared = store as import('../lib/index.js').StateStore | undefined;
  return inner
    .withRateLimit(new lib.RateLimiter({ name, requestsPerMinute: 1e9, windowMs: 60_000, store: shared }))
    .withCircuitBreaker(new lib.CircuitBreaker({ name, store: shared }));
}

/** Per stack, the median round's wall time and CPU time (this process's) per call, in µs. */
async function sequential(stacks: readonly Stack[]): Promise<Map<string, { wall: number; cpu: number }>> {
  const rounds = new Map(stacks.map((s) => [s.id, { wall: [] as number[], cpu: [] as number[] }]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(r + k) % stacks.length]!;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 0; i < PER_ROUND; i++) await s.llm.ask('hi');
      const cpu = process.cpuUsage(c0);
      rounds.get(s.id)!.wall.push(((performance.now() - t0) * 1_000) / PER_ROUND);
      rounds.get(s.id)!.cpu.push((cpu.user + cpu.system) / PER_ROUND);
    }
  }
  return new Map([...rounds].map(([id, { wall, cpu }]) => [id, { wall: median(wall), cpu: median(cpu) }]));
}

async function throughput(stack: Stack, calls: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      while (next++ < calls) await stack.llm.ask('hi');
    }),
  );
  return Math.round(calls / ((performance.now() - t0) / 1_000));
}

async function latencies(stacks: readonly Stack[], calls: number): Promise<Map<string, number[]>> {
  const samples = new Map(stacks.map((s) => [s.id, [] as number[]]));
  for (let i = 0; i < calls; i++) {
    for (let k = 0; k < stacks.length; k++) {
      const s = stacks[(i + k) % stacks.length]!;
      const t0 = performance.now();
      await s.llm.ask('hi');
      samples.get(s.id)!.push(performance.now() - t0);
    }
  }
  return samples;
}

/** A redis-server of our own (persistence off, the tests' launcher), unless REDIS_URL names one. */
async function redisURL(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  return startRedis();
}

async function main(): Promise<void> {
  const lib: Lib = await import('../lib/index.js');
  const base: Lib | undefined = process.env.BENCH_LIB
    ? await import(pathToFileURL(process.env.BENCH_LIB).href)
    : undefined;
  const redis = await redisURL();
  const client = new Redis(redis.url);
  const store = new lib.RedisStateStore({ client, prefix: `bench-${process.pid}` });
  const server = await FaultServer.start();
  try {
    console.log(
      `Node ${process.version}, ${ROUNDS} rounds of ${PER_ROUND} sequential calls per stack` +
        (base ? ` (memory@base from ${process.env.BENCH_LIB})` : ''),
    );
    const inProcess: Stack[] = [
      { id: 'none', llm: instantLLM(lib) },
      { id: 'memory', llm: guarded(lib, instantLLM(lib), 'mem') },
      ...(base ? [{ id: 'memory@base', llm: guarded(base, instantLLM(base), 'mem') }] : []),
      { id: 'redis', llm: guarded(lib, instantLLM(lib), 'bench', store) },
    ];
    for (const s of inProcess) for (let i = 0; i < 2_000; i++) await s.llm.ask('warm-up');
    const perCall = await sequential(inProcess);
    const none = perCall.get('none')!;
    console.log(
      '\n1. Guard cost, in-process LLM: µs per sequential call (median round), wall and CPU; calls/s with 32 in flight',
    );
    console.log('stack          wall µs   over none   CPU µs   over none   calls/s');
    for (const s of inProcess) {
      const { wall, cpu } = perCall.get(s.id)!;
      const rate = await throughput(s, s.id === 'redis' ? 20_000 : 200_000);
      console.log(
        `${s.id.padEnd(13)} ${wall.toFixed(2).padStart(8)}   ${(wall - none.wall).toFixed(2).padStart(9)}` +
          `  ${cpu.toFixed(2).padStart(7)}   ${(cpu - none.cpu).toFixed(2).padStart(9)}   ${String(rate).padStart(7)}`,
      );
    }

    const http = (l: Lib, model: string) =>
      new l.OpenAILLM(model, { apiKey: 'test', baseURL: server.openaiBaseURL });
    const overHttp: Stack[] = [
      { id: 'none', llm: http(lib, 'gpt-4o') },
      { id: 'memory', llm: guarded(lib, http(lib, 'gpt-4o'), 'mem-http') },
      ...(base ? [{ id: 'memory@base', llm: guarded(base, http(base, 'gpt-4o'), 'mem-http') }] : []),
      { id: 'redis', llm: guarded(lib, http(lib, 'gpt-4o'), 'bench-http', store) },
    ];
    await latencies(overHttp, 50);
    const samples = await latencies(overHttp, HTTP_CALLS);
    console.log(
      `\n2. End to end over HTTP, fault server on loopback (${HTTP_CALLS} sequential calls per stack, ms)`,
    );
    console.log('stack         median     p99   median over none');
    const noneHttp = median(samples.get('none')!);
    for (const s of overHttp) {
      const xs = samples.get(s.id)!;
      console.log(
        `${s.id.padEnd(13)} ${median(xs).toFixed(3).padStart(6)}  ${p99(xs).toFixed(3).padStart(6)}   ${(median(xs) - noneHttp).toFixed(3).padStart(8)}`,
      );
    }
  } finally {
    client.disconnect();
    await server.close();
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
