/**
 * The providers' own pacing, read off their rate-limit response headers: when a limit's
 * remaining count reaches 0, hold every call until that limit resets.
 *
 * - OpenAI: `x-ratelimit-remaining-requests` / `-tokens` with `x-ratelimit-reset-requests` /
 *   `-tokens` as Go-style durations (`20ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`).
 * - Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-remaining`
 *   with `…-reset` as an RFC 3339 time.
 */
import type { Provider } from '../../types.js';

const OPENAI_LIMITS = ['requests', 'tokens'] as const;
const ANTHROPIC_LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses OpenAI's reset duration (`6m0s`, `1.5s`, `20ms`) to ms; `undefined` when malformed. */
export function parseResetDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let ms = 0;
  let end = 0;
  for (let match = DURATION_PART.exec(value); match; match = DURATION_PART.exec(value)) {
    ms += Number(match[1]) * UNIT_MS[match[2]!]!;
    end = DURATION_PART.lastIndex;
  }
  return end === value.length ? ms : undefined;
}

/**
 * How long to hold every call (ms from `now`) per the provider's headers: until the latest
 * reset among the limits with nothing remaining. 0 when none is exhausted or nothing is sent.
 */
export function pacingHoldMs(provider: Provider, headers: Headers, now: number): number {
  let hold = 0;
  if (provider === 'openai') {
    for (const limit of OPENAI_LIMITS) {
      if (!exhausted(headers.get(`x-ratelimit-remaining-${limit}`))) continue;
      const reset = headers.get(`x-ratelimit-reset-${limit}`);
      hold = Math.max(hold, (reset === null ? undefined : parseResetDuration(reset)) ?? 0);
    }
  } else {
    for (const limit of ANTHROPIC_LIMITS) {
      if (!exhausted(headers.get(`anthropic-ratelimit-${limit}-remaining`))) continue;
      const reset = Date.parse(headers.get(`anthropic-ratelimit-${limit}-reset`) ?? '');
      if (Number.isFinite(reset)) hold = Math.max(hold, reset - now);
    }
  }
  return hold;
}

function exhausted(remaining: string | null): boolean {
  if (remaining === null || remaining.trim() === '') return false;
  const n = Number(remaining);
  return Number.isFinite(n) && n <= 0;
}
