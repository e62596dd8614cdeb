/**
 * One of several processes sharing a rate limiter and a circuit breaker in Redis, for
 * `redis-processes.test.ts`. Run as `node --import tsx shared-guards.ts '<config JSON>'`: it connects,
 * warms its HTTP connections and prints `ready`. Then each line on stdin is a {@link Run}: it starts
 * the scenario at `at` (epoch ms) and prints one JSON line with what it saw. It exits when stdin ends.
 */
import { createInterface } from 'node:readline';
import Redis from 'ioredis';
import {
  CircuitBreaker,
  type CircuitStateChange,
  type LLM,
  OpenAILLM,
  RateLimiter,
  RedisStateStore,
} from '../../lib/index.js';

/** How the parent starts a worker. */
export interface WorkerConfig {
  readonly worker: number;
  readonly redisUrl: string;
  readonly baseURL: string;
}

/** One scenario to run, from `at`, with guards whose keys start with `prefix`. */
export interface Run {
  readonly at: number;
  readonly prefix: string;
  readonly scenario: LimitScenario | BreakerScenario;
}

/** Calls as fast as the shared limiter lets them through, `concurrency` at a time, for `durationMs`. */
export interface LimitScenario {
  readonly kind: 'limit';
  readonly model: string;
  readonly windowMs: number;
  readonly requestsPerWindow: number;
  readonly tokensPerWindow?: number;
  /** The estimate of every call (and, with a token limit, what the fault server reports). */
  readonly tokensPerCall: number;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly maxWait: number;
}

/** One call every `intervalMs` through the shared breaker: a failing model until `healAfterMs`, then a healthy one. */
export interface BreakerScenario {
  readonly kind: 'breaker';
  readonly failingModel: string;
  readonly healthyModel: string;
  readonly healAfterMs: number;
  readonly durationMs: number;
  readonly intervalMs: number;
  readonly failureThreshold: number;
  readonly recoveryTimeout: number;
  readonly halfOpenMaxCalls: number;
  readonly successThreshold: number;
}

/** One call as a worker saw it. */
export interface CallRecord {
  readonly at: number;
  readonly ms: number;
  /** `ok`, an error's name, or `CircuitOpenError:half_open` for a refusal because every probe slot was taken. */
  readonly outcome: string;
}

/** What a worker prints when it is done. */
export interface WorkerResult {
  readonly worker: number;
  readonly calls: readonly CallRecord[];
  readonly changes: readonly (CircuitStateChange & { readonly at: number })[];
  /** Each time the guard lost or got back the store (`degraded` / `recovered`): none is expected. */
  readonly storeStatus: readonly { readonly status: string; readonly at: number; readonly error?: string }[];
}

/**
 * The store timeout. These scenarios test the shared state, not its loss: on a loaded machine (CI
 * runs four of these processes beside other suites on two cores) a Redis answer can take longer than
 * a production timeout, and a guard that degrades runs locally, which would be a different scenario.
 */
export const STORE_TIMEOUT_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function timed(calls: CallRecord[], call: () => Promise<unknown>): Promise<void> {
  const at = Date.now();
  let outcome = 'ok';
  try {
    await call();
  } catch (error) {
    const e = error as Error;
    outcome =
      e.name === 'CircuitOpenError' && e.message.includes('half-open') ? `${e.name}:half_open` : e.name;
  }
  calls.push({ at, ms: Date.now() - at, outcome });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  const openai = (model: string): OpenAILLM =>
    new OpenAILLM(model, { apiKey: 'test', baseURL: config.baseURL });
  const warm: LLM = openai('gpt-4o~text=warm-up');
  await client.ping();
  await Promise.all(Array.from({ length: 3 }, () => warm.ask('warm-up'))); // open keep-alive connections
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const result = await perform(config, JSON.parse(line) as Run, client, openai);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  client.disconnect();
}

async function perform(
  config: WorkerConfig,
  { at, prefix, scenario }: Run,
  client: Redis,
  openai: (model: string) => OpenAILLM,
): Promise<WorkerResult> {
  const store = new RedisStateStore({ client, prefix, timeout: STORE_TIMEOUT_MS });
  const calls: CallRecord[] = [];
  const changes: (CircuitStateChange & { at: number })[] = [];
  const storeStatus: { status: string; at: number; error?: string }[] = [];
  const onStoreStatus = ({ status, error }: { status: string; error?: unknown }): void => {
    storeStatus.push({ status, at: Date.now(), ...(error ? { error: String(error) } : {}) });
  };
  let run: () => Promise<void>;
  if (scenario.kind === 'limit') {
    const limiter = new RateLimiter({
      name: 'shared-limit',
      store,
      requestsPerMinute: scenario.requestsPerWindow,
      tokensPerMinute: scenario.tokensPerWindow,
      windowMs: scenario.windowMs,
      maxWait: scenario.maxWait,
      estimateTokens: () => scenario.tokensPerCall,
    });
    limiter.on('storeStatus', onStoreStatus);
    const llm = openai(scenario.model).withRateLimit(limiter);
    run = async () => {
      const until = Date.now() + scenario.durationMs;
      const loop = async (): Promise<void> => {
        while (Date.now() < until) await timed(calls, () => llm.ask('hi', { maxTokens: 5 }));
      };
      await Promise.all(Array.from({ length: scenario.concurrency }, loop));
    };
  } else {
    const breaker = new CircuitBreaker({
      name: 'shared-breaker',
      store,
      failureThreshold: scenario.failureThreshold,
      recoveryTimeout: scenario.recoveryTimeout,
      halfOpenMaxCalls: scenario.halfOpenMaxCalls,
      successThreshold: scenario.successThreshold,
    });
    breaker.on('stateChange', (change) => changes.push({ ...change, at: Date.now() }));
    breaker.on('storeStatus', onStoreStatus);
    const failing = openai(scenario.failingModel).withCircuitBreaker(breaker);
    const healthy = openai(scenario.healthyModel).withCircuitBreaker(breaker);
    run = async () => {
      const start = Date.now();
      while (Date.now() - start < scenario.durationMs) {
        const llm = Date.now() - start < scenario.healAfterMs ? failing : healthy;
        await timed(calls, () => llm.ask('hi'));
        await sleep(scenario.intervalMs);
      }
    };
  }

  await sleep(at - Date.now());
  await run();
  await sleep(50); // let the last outcomes reach Redis
  return { worker: config.worker, calls, changes, storeStatus };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
