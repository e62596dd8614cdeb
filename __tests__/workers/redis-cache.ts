/**
 * A second process sharing a `RedisCacheStore`, for `redis-cache.test.ts`. Run as
 * `node --import tsx redis-cache.ts '<config JSON>'`: it prints `ready`, then answers each stdin
 * line (a prompt) with one JSON line: the reply's text and `cached` mark, or the error's name.
 * It exits when stdin ends.
 */
import { createInterface } from 'node:readline';
import Redis from 'ioredis';
import { OpenAILLM, RedisCacheStore } from '../../lib/index.js';

/** How the parent starts the worker. */
export interface CacheWorkerConfig {
  readonly redisUrl: string;
  readonly baseURL: string;
  readonly model: string;
  readonly prefix: string;
}

/** What the worker prints for each prompt. */
export interface CacheWorkerAnswer {
  readonly text?: string;
  readonly cached?: string;
  readonly error?: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as CacheWorkerConfig;
  const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  const store = new RedisCacheStore({ client, prefix: config.prefix });
  const llm = new OpenAILLM(config.model, { apiKey: 'test-key', baseURL: config.baseURL }).withCache({
    store,
  });
  console.log('ready');
  for await (const prompt of createInterface({ input: process.stdin })) {
    let answer: CacheWorkerAnswer;
    try {
      const reply = await llm.ask(prompt);
      answer = { text: reply.text, ...(reply.cached ? { cached: reply.cached } : {}) };
    } catch (error) {
      answer = { error: error instanceof Error ? error.name : String(error) };
    }
    console.log(JSON.stringify(answer));
  }
  client.disconnect();
}

void main();
