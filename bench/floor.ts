/**
 * A yardstick, not a library: the least work the full chain (d) must do for a plain-text `ask`
 * that misses its cache on a healthy server, written by hand in one function over the raw
 * client — the input checked, a cache key (canonical JSON, sha256, as ours) looked up in an
 * `lru-cache` and the reply stored, a request and its token estimate counted in a bucketed window
 * and the estimate corrected from the usage, the breaker's state read and its success counted,
 * the rate-limit headers read, the reply and its attempt record built, telemetry's counters and
 * latency ring updated. No retry, fallback, events, hooks or options: what (d) adds over this is
 * the cost of being a library of composable layers rather than of the work itself.
 * bench/cold.ts runs it beside (a)–(d).
 */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import OpenAI from 'openai';
import type { Stack, Upstream } from './stacks.js';

const BUCKETS = 100;
const WINDOW_MS = 60_000;

/** The yardstick as a stack (ask only), on `up`'s primary model. */
export function handWrittenFloor(up: Upstream): Stack {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: up.baseURL, maxRetries: 0, fetch: up.fetch });
  const cache = new LRUCache<string, { readonly text: string; readonly attempts: readonly unknown[] }>({
    max: 1000,
  });
  const window = { requests: new Float64Array(BUCKETS), tokens: new Float64Array(BUCKETS) };
  const breaker = { state: 'closed', failures: 0 };
  let heldUntil = 0; // the provider's pacing, from its rate-limit headers
  const telemetry = {
    requests: 0,
    successes: 0,
    input: 0,
    output: 0,
    latency: new Float64Array(1024),
    next: 0,
  };
  return {
    id: 'floor',
    label: 'hand-written floor of (d): its work in one function',
    async ask(prompt) {
      if (typeof prompt !== 'string' || prompt === '') throw new TypeError('`input` must be a string');
      const key = hash('sha256', JSON.stringify(['openai', up.primary, [['user', prompt]], null]), 'hex');
      const hit = cache.get(key);
      if (hit) return hit.text;
      const startedAt = Date.now();
      const bucket = Math.floor(startedAt / (WINDOW_MS / BUCKETS)) % BUCKETS;
      const estimate = Math.ceil(prompt.length / 4) + 256;
      const full = window.requests[bucket]! >= 1e8 || window.tokens[bucket]! + estimate > 1e10;
      if (full || startedAt < heldUntil) throw new Error('limited');
      if (breaker.state !== 'closed') throw new Error('circuit open');
      window.requests[bucket]!++;
      window.tokens[bucket]! += estimate;
      telemetry.requests++;
      const call = client.chat.completions.create({
        model: up.primary,
        messages: [{ role: 'user', content: prompt }],
      });
      void call.asResponse().then((r) => {
        if (r.headers.get('x-ratelimit-remaining-requests') === '0') heldUntil = Date.now() + 1000;
      }, ignore);
      try {
        const data = await call;
        const text = data.choices[0]?.message.content ?? '';
        const usage = {
          inputTokens: data.usage?.prompt_tokens ?? 0,
          outputTokens: data.usage?.completion_tokens ?? 0,
          totalTokens: data.usage?.total_tokens ?? 0,
        };
        const durationMs = Date.now() - startedAt;
        const attempt = { model: up.primary, provider: 'openai', startedAt, durationMs, outcome: 'success' };
        const reply = { text, model: data.model, provider: 'openai', usage, attempts: [attempt], raw: data };
        window.tokens[bucket]! += usage.totalTokens - estimate;
        breaker.failures = 0;
        telemetry.successes++;
        telemetry.input += usage.inputTokens;
        telemetry.output += usage.outputTokens;
        telemetry.latency[telemetry.next++ % 1024] = durationMs;
        cache.set(key, { ...reply, attempts: [] });
        return reply.text;
      } catch (error) {
        breaker.failures++;
        throw error;
      }
    },
    stream() {
      return Promise.reject(new Error('the floor measures ask only'));
    },
  };
}

function ignore(): void {}
