/**
 * Many instances, one quota and one circuit: a rate limiter and a circuit breaker whose state lives
 * in Redis, shared by three instances of a service (three connections, as three pods would have)
 * against the local fault server.
 *
 * Start Redis (`redis-server`, or set REDIS_URL), then run `npx tsx examples/redis-shared-limits.ts`.
 */
import Redis from 'ioredis';
import {
  CircuitBreaker,
  type LLM,
  OpenAILLM,
  RateLimiter,
  RedisStateStore,
  type StoreStatusChange,
} from 'llm-resilience';
import { FaultServer } from 'llm-resilience/testing';

/** One instance of the service: its own Redis connection, and guards named like every other instance's. */
interface Instance {
  readonly n: number;
  readonly client: Redis;
  readonly breaker: CircuitBreaker;
  readonly limiter: RateLimiter;
  llm(model: string): LLM;
}

function instance(n: number, url: string, baseURL: string): Instance {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', (error: Error) => console.warn(`instance ${n}: redis: ${error.message}`));
  const store = new RedisStateStore({ client, prefix: 'llm-resilience-example', timeout: 100 });
  // The same name on the same store is the same state, in every process.
  const limiter = new RateLimiter({
    name: 'openai',
    store,
    requestsPerMinute: 5, // per window of windowMs: here 5 a second, for all instances together
    windowMs: 1_000,
    maxWait: 10_000,
    onStoreError: 'fail-open', // Redis down: each instance goes on under its own local limit
  });
  const breaker = new CircuitBreaker({
    name: 'openai:gpt-4o',
    store,
    failureThreshold: 3,
    recoveryTimeout: 2_000,
    onStoreError: 'fail-open',
  });
  breaker.on('stateChange', ({ from, to }) => console.log(`  instance ${n}: circuit ${from} → ${to}`));
  const onStore = ({ guard, status }: StoreStatusChange): void =>
    console.warn(`  instance ${n}: ${guard} lost or regained Redis: ${status}`);
  breaker.on('storeStatus', onStore);
  limiter.on('storeStatus', onStore);
  const llm = (model: string): LLM =>
    new OpenAILLM(model, { apiKey: 'test', baseURL }).withRateLimit(limiter).withCircuitBreaker(breaker);
  return { n, client, breaker, limiter, llm };
}

async function main(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const server = await FaultServer.start();
  const instances = [1, 2, 3].map((n) => instance(n, url, server.openaiBaseURL));
  try {
    await instances[0]!.client.ping().catch((error: unknown) => {
      throw new Error(`no Redis at ${url} (${String(error)}): start redis-server or set REDIS_URL`);
    });
    await instances[0]!.breaker.reset(); // a fresh circuit for the demo

    console.log('One quota: 15 calls from three instances, at most 5 starting in any second.');
    const started = Date.now();
    await Promise.all(
      instances.flatMap((i) =>
        [1, 2, 3, 4, 5].map(async () => {
          await i.llm('gpt-4o').ask('Hi');
          console.log(`  +${String(Date.now() - started).padStart(4)} ms  instance ${i.n}`);
        }),
      ),
    );
    const shared = await instances[2]!.limiter.fetchState();
    console.log(`  the shared window now: ${shared.requestsInWindow} started, ${shared.queued} queued`);

    console.log('One circuit: instance 1 meets three 503s; instances 2 and 3 stop calling at once.');
    const failing = 'gpt-4o~status=503';
    for (let k = 0; k < 3; k++)
      await instances[0]!
        .llm(failing)
        .ask('Hi')
        .catch(() => {});
    await instances[0]!.breaker.fetchState(); // its outcomes are recorded in the background
    for (const i of instances.slice(1)) {
      const error = await i
        .llm(failing)
        .ask('Hi')
        .catch((e: unknown) => e as Error);
      console.log(`  instance ${i.n}: ${(error as Error).name}: ${(error as Error).message}`);
    }
    console.log(`  the fault server saw ${server.hitCount(failing)} requests for ${failing}`);
  } finally {
    for (const i of instances) i.client.disconnect();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
