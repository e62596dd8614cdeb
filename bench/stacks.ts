/**
 * The stacks under test, each reduced to `ask(prompt) → text` and `stream(prompt) → text`:
 * (a) the raw `openai` client, (b) `OpenAILLM` bare, (c) ours with retry and fallback, (d) the
 * full chain, (e) LangChain.js, (f) the Vercel AI SDK. Every stack talks to the same server
 * through the same `fetch` (global undici unless one is passed).
 */
import OpenAI from 'openai';
import { ChatOpenAI } from '@langchain/openai';
import type { Runnable } from '@langchain/core/runnables';
import type { BaseMessageChunk } from '@langchain/core/messages';
import { generateText, streamText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { type InterruptMode, type Library, library, type LLM, type OpenAILLM } from './lib.js';

/** Where a stack sends its requests: a primary model and a fallback model on one server. */
export interface Upstream {
  readonly baseURL: string;
  readonly primary: string;
  readonly fallback: string;
  readonly fetch?: typeof fetch;
}

/** Our stack's tuning for a faulty upstream; the overhead runs use the defaults. */
export interface OurTuning {
  /** Attempt timeout (our `timeout`). */
  readonly timeoutMs?: number;
  /** First backoff delay (`initialDelay`). */
  readonly initialDelayMs?: number;
  readonly onInterrupt?: InterruptMode;
}

/** Peers' closest settings: LangChain's per-request `timeout`, the AI SDK's `streamRetries`. */
export interface PeerTuning {
  readonly timeoutMs?: number;
  readonly streamRetries?: number;
}

/** Receives each text chunk as it reaches the caller. */
export type OnChunk = (text: string) => void;

export interface Stack {
  /** The row's key, `a` … `f` (goodput adds variants). */
  readonly id: string;
  readonly label: string;
  ask(prompt: string): Promise<string>;
  /** Streams the answer; resolves to the text the caller ends up with. */
  stream(prompt: string, onChunk?: OnChunk): Promise<string>;
}

const API_KEY = 'sk-bench';
/** The full chain's rate limits: far above what any run reaches (never waits), yet every call is estimated and logged. */
export const UNBINDING_LIMITS = { requestsPerMinute: 100_000_000, tokensPerMinute: 10_000_000_000 } as const;
const RETRIES = 3;

export function rawOpenAI(up: Upstream): Stack {
  const client = new OpenAI({ apiKey: API_KEY, baseURL: up.baseURL, maxRetries: 0, fetch: up.fetch });
  const messages = (prompt: string) => [{ role: 'user' as const, content: prompt }];
  return {
    id: 'a',
    label: 'raw openai client (maxRetries 0)',
    async ask(prompt) {
      const r = await client.chat.completions.create({ model: up.primary, messages: messages(prompt) });
      return r.choices[0]?.message.content ?? '';
    },
    async stream(prompt, onChunk) {
      const events = await client.chat.completions.create({
        model: up.primary,
        messages: messages(prompt),
        stream: true,
      });
      let text = '';
      for await (const event of events) {
        const piece = event.choices[0]?.delta?.content;
        if (!piece) continue;
        onChunk?.(piece);
        text += piece;
      }
      return text;
    },
  };
}

/**
 * `OpenAILLM` for `model` on the upstream's server (bare: (b) is this on `up.primary`), from `lib`
 * (the library under test, or another build: bench/ab.ts).
 */
export function provider(
  up: Upstream,
  model: string,
  tuning: OurTuning = {},
  lib: Library = library,
): OpenAILLM {
  return new lib.OpenAILLM(model, {
    apiKey: API_KEY,
    baseURL: up.baseURL,
    fetch: up.fetch,
    ...(tuning.timeoutMs === undefined ? {} : { timeout: tuning.timeoutMs }),
  });
}

function retryConfig(tuning: OurTuning) {
  return {
    maxRetries: RETRIES,
    ...(tuning.initialDelayMs === undefined ? {} : { initialDelay: tuning.initialDelayMs }),
    ...(tuning.onInterrupt === undefined ? {} : { onInterrupt: tuning.onInterrupt }),
  };
}

/** `ask`/`stream` through one of our chains; a `reset` chunk (restart mode) discards the text so far. */
export function ours(id: string, label: string, llm: LLM): Stack {
  return {
    id,
    label: `${label}: ${llm.describe()}`,
    async ask(prompt) {
      return (await llm.ask(prompt)).text;
    },
    async stream(prompt, onChunk) {
      let text = '';
      for await (const chunk of llm.stream(prompt)) {
        if (chunk.type === 'reset') {
          text = '';
          continue;
        }
        onChunk?.(chunk.text);
        text += chunk.text;
      }
      return text;
    },
  };
}

export function bare(up: Upstream): Stack {
  return ours('b', 'OpenAILLM bare', provider(up, up.primary));
}

/** (c): retry, then fall back to a retried backup. */
export function retryFallback(up: Upstream, tuning: OurTuning = {}): Stack {
  return ours('c', 'ours, retry + fallback', retryFallbackLLM(up, tuning));
}

/** The chain of (c), for stacks that call it with options (bench/tools.ts). */
export function retryFallbackLLM(up: Upstream, tuning: OurTuning = {}): LLM {
  const cfg = retryConfig(tuning);
  const fallbacks = tuning.onInterrupt === undefined ? undefined : { onInterrupt: tuning.onInterrupt };
  return provider(up, up.primary, tuning)
    .withRetry(cfg)
    .withFallbacks([provider(up, up.fallback, tuning).withRetry(cfg)], fallbacks);
}

/**
 * (d): each model rate-limited (limits far above what the run reaches: never waits, but
 * estimates tokens and logs every call), retried and guarded by its breaker; the fallback
 * chain cached (every prompt differs: always a miss) and observed by telemetry.
 */
export function fullChain(up: Upstream, tuning: OurTuning = {}, rateLimit = true): Stack {
  return ours('d', 'ours, full chain', fullChainLLM(up, tuning, rateLimit));
}

/** The chain of (d), for stacks that call it with options (bench/tools.ts), from `lib` (see {@link provider}). */
export function fullChainLLM(
  up: Upstream,
  tuning: OurTuning = {},
  rateLimit = true,
  lib: Library = library,
): LLM {
  const cfg = retryConfig(tuning);
  const limited = (llm: LLM): LLM =>
    rateLimit ? llm.withRateLimit(new lib.RateLimiter(UNBINDING_LIMITS)) : llm;
  const guarded = (model: string): LLM =>
    limited(provider(up, model, tuning, lib))
      .withRetry(cfg)
      .withCircuitBreaker({ name: model });
  const fallbacks = tuning.onInterrupt === undefined ? undefined : { onInterrupt: tuning.onInterrupt };
  return guarded(up.primary)
    .withFallbacks([guarded(up.fallback)], fallbacks)
    .withCache({ maxEntries: 1000 })
    .withTelemetry(new lib.Telemetry());
}

type Chat = Runnable<string, BaseMessageChunk>;

/**
 * (e) LangChain.js. `withRetry`: `ChatOpenAI({ maxRetries: 0 }).withRetry({ stopAfterAttempt: 4 })`
 * (LangChain's own wrapper; it covers `invoke` only). `maxRetries`: `ChatOpenAI({ maxRetries: 3 })`
 * (its client-level caller; it covers stream starts too, but gives up on a 429 without `retry-after`).
 */
export function langchain(up: Upstream, mode: 'withRetry' | 'maxRetries', tuning: PeerTuning = {}): Stack {
  const chat = (model: string): Chat => {
    const llm = new ChatOpenAI({
      model,
      apiKey: API_KEY,
      maxRetries: mode === 'maxRetries' ? RETRIES : 0,
      ...(tuning.timeoutMs === undefined ? {} : { timeout: tuning.timeoutMs }),
      configuration: { baseURL: up.baseURL, ...(up.fetch ? { fetch: up.fetch } : {}) },
    });
    return mode === 'withRetry' ? llm.withRetry({ stopAfterAttempt: RETRIES + 1 }) : llm;
  };
  const chain = chat(up.primary).withFallbacks([chat(up.fallback)]);
  const label =
    mode === 'withRetry'
      ? 'LangChain.js ChatOpenAI.withRetry(4).withFallbacks'
      : 'LangChain.js ChatOpenAI({ maxRetries: 3 }).withFallbacks';
  return {
    id: mode === 'withRetry' ? 'e' : 'e2',
    label,
    async ask(prompt) {
      return textOf(await chain.invoke(prompt));
    },
    async stream(prompt, onChunk) {
      let text = '';
      for await (const chunk of await chain.stream(prompt)) {
        const piece = textOf(chunk);
        if (!piece) continue;
        onChunk?.(piece);
        text += piece;
      }
      return text;
    },
  };
}

function textOf(message: BaseMessageChunk): string {
  return typeof message.content === 'string' ? message.content : '';
}

/**
 * (f) Vercel AI SDK: `generateText({ maxRetries: 3 })` (`streamText` with `streamRetries` too
 * when given); it has no fallback, so the usual try/catch falls back to the second model.
 */
export function aiSdk(up: Upstream, tuning: PeerTuning = {}): Stack {
  const openai = createOpenAI({
    apiKey: API_KEY,
    baseURL: up.baseURL,
    ...(up.fetch ? { fetch: up.fetch } : {}),
  });
  const generate = async (model: string, prompt: string): Promise<string> =>
    (await generateText({ model: openai.chat(model), prompt, maxRetries: RETRIES })).text;
  const streamOnce = async (model: string, prompt: string, seen: { text: string }, onChunk?: OnChunk) => {
    const result = streamText({
      model: openai.chat(model),
      prompt,
      maxRetries: RETRIES,
      ...(tuning.streamRetries === undefined ? {} : { streamRetries: tuning.streamRetries }),
      onError: () => {}, // the default logs every error to the console
    });
    for await (const piece of result.textStream) {
      onChunk?.(piece);
      seen.text += piece;
    }
    return seen.text;
  };
  return {
    id: 'f',
    label: `Vercel AI SDK generateText({ maxRetries: 3 })${tuning.streamRetries === undefined ? '' : ` / streamText({ streamRetries: ${tuning.streamRetries} })`} + try/catch fallback`,
    async ask(prompt) {
      try {
        return await generate(up.primary, prompt);
      } catch {
        return generate(up.fallback, prompt);
      }
    },
    async stream(prompt, onChunk) {
      const seen = { text: '' };
      try {
        return await streamOnce(up.primary, prompt, seen, onChunk);
      } catch (error) {
        if (seen.text !== '') throw error; // text already shown: too late to fall back
        return streamOnce(up.fallback, prompt, seen, onChunk);
      }
    },
  };
}
