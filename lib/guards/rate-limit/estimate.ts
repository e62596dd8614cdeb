/**
 * The token estimate's call path for `tokensPerMinute`: cheap while the window has room, exact
 * (`tokens.ts`) when the limit could bind, and never computed twice for one request.
 *
 * **The bound kept.** While the window's counted tokens plus this call's *upper bound* stay within
 * half of `tokensPerMinute`, the call reserves that bound instead of an exact count: the UTF-8
 * byte length of its text (a byte-level BPE token is at least one byte, and the Anthropic
 * approximation counts at most one token a character), plus the framing, plus its output
 * allowance. It never under-counts, so no window can go over the limit; reservations made this way
 * hold at most half the limit between them; every admission in the upper half is decided on an
 * exact count; and the reply's `usage` replaces either estimate when the call ends. The price:
 * while a bound-estimated call is in flight it holds more of the window than it will use (about
 * 4× for English text), which can only make a call in the upper half wait sooner, never let one
 * through too early.
 *
 * **Memoised per request**: retries and fallbacks of one call (and several limiters along one
 * chain) reuse the exact count of its prompt.
 */
import { estimateInput } from './estimate-input.js';
import type { LLMRequest } from '../../llm.js';
import type { Provider } from '../../types.js';
import { estimateRequestTokens } from './tokens.js';

/** Framing counted per message, and for the reply's priming (as `tokens.ts` counts them). */
const FRAMING = 3;

/** What {@link estimateTokens} needs besides the request. */
export interface EstimateContext {
  readonly provider: Provider;
  /** The output allowance when the call sets no `maxTokens`. */
  readonly expectedOutputTokens: number;
  /** Tokens left below half the limit; `-Infinity` to always count exactly. */
  readonly room: number;
}

interface Counted {
  readonly provider: Provider;
  readonly prompt: number;
}

/**
 * Exact prompt counts, by the (frozen) request: every attempt and layer of one call shares it, and
 * it carries everything counted (messages, system, tools, schema), so no other call can reuse one.
 */
const counted = new WeakMap<LLMRequest, Counted[]>();

/**
 * Tokens to reserve for `request`: its upper bound when that fits in `room` (tokens left below
 * half the limit; `-Infinity` to always count exactly), else the exact estimate.
 */
export function estimateTokens(
  request: LLMRequest,
  { provider, expectedOutputTokens, room }: EstimateContext,
): number | Promise<number> {
  const output = request.options.maxTokens ?? expectedOutputTokens;
  if (room > output) {
    const bound = upperBound(request, provider) + output;
    if (bound <= room) return bound;
  }
  const known = counted.get(request)?.find((c) => c.provider === provider);
  if (known) return known.prompt + output;
  // tokens.ts adds `maxTokens` when the call sets it, else the output given (0 here): take it off.
  return estimateRequestTokens(request, provider, 0).then((withMax) => {
    const prompt = withMax - (request.options.maxTokens ?? 0);
    const list = counted.get(request) ?? [];
    if (list.length === 0) counted.set(request, list);
    list.push({ provider, prompt });
    return prompt + output;
  });
}

/**
 * An upper bound on a request's prompt tokens: UTF-8 bytes of every text (messages, system prompt,
 * tool definitions, schema), plus framing, plus images and files at the providers' published costs.
 */
export function upperBound(request: LLMRequest, provider: Provider): number {
  const { texts, fixedTokens } = estimateInput(request, provider);
  let tokens = FRAMING + fixedTokens;
  for (const text of texts) tokens += FRAMING + Buffer.byteLength(text, 'utf8');
  return tokens;
}
