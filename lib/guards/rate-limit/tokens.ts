/**
 * Token estimates made before a call, for `tokensPerMinute`: the prompt's tokens plus the
 * output the call may produce. The limiter later replaces the estimate with `Reply.usage`.
 *
 * - OpenAI (and OpenAI-compatible servers): counted with `gpt-tokenizer`'s `o200k_base`
 *   encoding, the one of GPT-4o, GPT-4.1, GPT-5 and the o-series (older models' `cl100k_base`
 *   differs by a few per cent, well inside an estimate). Only that encoding is loaded, on the
 *   first estimate: nobody who does not limit tokens pays for it. `gpt-tokenizer` is an optional
 *   peer dependency: without it, OpenAI estimates use the approximation below (about 4 characters
 *   a token for English), with one warning. Chosen over `js-tiktoken`
 *   by measurement (Node 20, same encoding, same counts): ready in ~0.2 s against ~0.95 s of
 *   blocked event loop to build js-tiktoken's rank table, and ~5× faster per count.
 * - Anthropic: publishes no local tokenizer for its current models (its count-tokens endpoint
 *   costs a request), so the estimate is `ceil(ASCII characters / 3.5)` plus one token per
 *   other UTF-16 unit (CJK, emoji and accents cost about a token a character). It errs high for
 *   non-Latin scripts, which is the safe side for a limiter.
 * - Output: the call's `maxTokens`, else the limiter's `expectedOutputTokens`.
 * - Framing: 3 tokens per message and 3 to prime the reply, as OpenAI's chat format counts them.
 */
import type { LLMRequest } from '../../llm.js';
import { importOptional, isNotInstalled } from '../../optional.js';
import type { Provider } from '../../types.js';

/** A function counting one text's tokens. */
export type TokenCounter = (text: string) => number;

const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;

/** The estimate for a whole request: framing, system prompt, messages, and the expected output. */
export async function estimateRequestTokens(
  request: LLMRequest,
  provider: Provider,
  expectedOutputTokens: number,
): Promise<number> {
  const count = provider === 'openai' ? await openaiCounter() : approximateTokens;
  const { messages, options } = request;
  let tokens = REPLY_PRIMING;
  if (options.system !== undefined) tokens += PER_MESSAGE + count(options.system);
  for (const message of messages) tokens += PER_MESSAGE + count(message.content);
  return tokens + (options.maxTokens ?? expectedOutputTokens);
}

/** Anthropic's approximation: `ceil(ASCII characters / 3.5)` + one token per other UTF-16 unit. */
export function approximateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x80) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 3.5) + other;
}

let counter: Promise<TokenCounter> | undefined;

/** `o200k_base` through gpt-tokenizer, loaded once on first use; the approximation if it cannot load. */
export function openaiCounter(): Promise<TokenCounter> {
  counter ??= loadTokenizer().catch((error: unknown) => {
    if (isNotInstalled(error, TOKENIZER)) {
      console.warn(
        'llm-resilience: gpt-tokenizer is not installed, so OpenAI token estimates use an approximation ' +
          '(about 4 characters a token for English); `npm install gpt-tokenizer` for exact counts.',
      );
    } else {
      console.warn(
        'llm-resilience: gpt-tokenizer could not load; token estimates use an approximation.',
        error,
      );
    }
    return approximateTokens;
  });
  return counter;
}

/** Special-token text in a prompt (`<|endoftext|>`) is counted as plain text, never refused. */
const AS_TEXT = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

/** The part of a gpt-tokenizer encoding module used here (its CJS and ESM typings differ). */
interface Encoding {
  countTokens(text: string, options: typeof AS_TEXT): number;
}

const TOKENIZER = 'gpt-tokenizer';

async function loadTokenizer(): Promise<TokenCounter> {
  // The encoding's table is read only here, never at import time.
  const encoding = (await importOptional(`${TOKENIZER}/encoding/o200k_base`)) as Encoding;
  return (text) => encoding.countTokens(text, AS_TEXT);
}
