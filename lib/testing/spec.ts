/**
 * The fault spec: what a request asks the fault server to do, parsed from a model-name
 * suffix (`gpt-4o~status=503`) or an `x-fault` header (`status=503;retry_after_ms=20`).
 */
import { parseReplyScript, type ReplyScript } from './script.js';

/**
 * Every key the fault server understands. Reply-shaping keys (`text`, `chunks`, `reply`,
 * `arg_chunks`, `finish`, `ratelimit_headers`, `rl_*`) always apply; every other key is a fault, and `fail_first`
 * limits faults to the first n hits of the model string.
 *
 * @example
 * ```ts
 * const spec: FaultSpec = { status: 503, retry_after_ms: 20, fail_first: 2 };
 * ```
 */
export interface FaultSpec {
  /** Answer with this HTTP status and a provider-shaped error body. */
  status?: number;
  /** Error kind: `insufficient_quota`, `context_length_exceeded`, `content_filter`, or any other code. */
  error?: string;
  /** Overrides the error type of an in-stream error event (`error_event_after`). */
  error_type?: string;
  /** `retry-after` header, sent verbatim (seconds or an HTTP date). */
  retry_after?: string | number;
  /** `retry-after-ms` header. */
  retry_after_ms?: number;
  /** `x-should-retry` header. */
  should_retry?: boolean;
  /** Add the provider's rate-limit headers to the response. */
  ratelimit_headers?: boolean;
  /** Remaining requests in the rate-limit headers. @default 99 */
  rl_remaining_requests?: number;
  /** Remaining tokens in the rate-limit headers. @default 99000 */
  rl_remaining_tokens?: number;
  /** Time until the rate-limit window resets, in ms. @default 1000 */
  rl_reset_ms?: number;
  /** Wait this many ms before sending headers. */
  latency?: number;
  /** Never answer; keep the socket open until the client leaves or the server closes. */
  hang?: boolean;
  /** Destroy the TCP socket before any headers. */
  reset?: boolean;
  /** Streaming: destroy the socket after this many text chunks. */
  drop_after?: number;
  /** Streaming: pause after this many text chunks (for `stall_ms`, or forever). */
  stall_after?: number;
  /** Length of the `stall_after` pause in ms; absent means forever. */
  stall_ms?: number;
  /** Streaming: end the response cleanly after this many text chunks, without a terminal event. */
  end_after?: number;
  /** Streaming: send one malformed SSE event after this many text chunks, then continue. */
  malformed_after?: number;
  /** OpenAI streaming: omit the final `data: [DONE]`. */
  no_done?: boolean;
  /** With an error status: repeat the request's API key in the error message, as a careless proxy might. */
  echo_key?: boolean;
  /** Streaming: send an in-stream error event after this many text chunks, then end. */
  error_event_after?: number;
  /** Streaming: wait this many ms before the first text chunk. */
  first_chunk_delay?: number;
  /** Streaming: wait this many ms between text chunks. */
  chunk_delay?: number;
  /** Apply the faults only to the first n hits of this model string since the last reset. */
  fail_first?: number;
  /** Reply text (default `Hello from <base model>.`). */
  text?: string;
  /** Reply with n generated chunks `w1`, ` w2`, … instead of the text. */
  chunks?: number;
  /**
   * The reply script: the name of one registered on the server (`reply=weather`), or an inline
   * script as JSON (`faultModel` encodes an object). `text` / `chunks` override its text.
   */
  reply?: string | ReplyScript;
  /** How many deltas each tool call's arguments (and a `json` answer) are split into; wins over the script's. */
  arg_chunks?: number;
  /** The finish / stop reason word, sent verbatim (`content_filter`, `pause_turn`, …); wins over the script's. */
  finish?: string;
}

type Kind = 'int' | 'bool' | 'string' | 'retryAfter' | 'reply';

const KINDS: { readonly [K in keyof Required<FaultSpec>]: Kind } = {
  status: 'int',
  error: 'string',
  error_type: 'string',
  retry_after: 'retryAfter',
  retry_after_ms: 'int',
  should_retry: 'bool',
  ratelimit_headers: 'bool',
  rl_remaining_requests: 'int',
  rl_remaining_tokens: 'int',
  rl_reset_ms: 'int',
  latency: 'int',
  hang: 'bool',
  reset: 'bool',
  drop_after: 'int',
  stall_after: 'int',
  stall_ms: 'int',
  end_after: 'int',
  malformed_after: 'int',
  no_done: 'bool',
  echo_key: 'bool',
  error_event_after: 'int',
  first_chunk_delay: 'int',
  chunk_delay: 'int',
  fail_first: 'int',
  text: 'string',
  chunks: 'int',
  reply: 'reply',
  arg_chunks: 'int',
  finish: 'string',
};

/** Keys that shape a healthy reply and stay in force after `fail_first` runs out. */
const SHAPE_KEYS: ReadonlySet<string> = new Set([
  'text',
  'chunks',
  'reply',
  'arg_chunks',
  'finish',
  'ratelimit_headers',
  'rl_remaining_requests',
  'rl_remaining_tokens',
  'rl_reset_ms',
]);

function isKey(key: string): key is keyof FaultSpec {
  return Object.prototype.hasOwnProperty.call(KINDS, key);
}

function parseValue(key: keyof FaultSpec, raw: string | undefined): FaultSpec[keyof FaultSpec] {
  const kind = KINDS[key];
  if (kind === 'bool') {
    if (raw === undefined || raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new TypeError(`fault key \`${key}\` must be true or false, got ${JSON.stringify(raw)}`);
  }
  if (raw === undefined) throw new TypeError(`fault key \`${key}\` needs a value`);
  if (kind === 'int') {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
      throw new RangeError(`fault key \`${key}\` must be a non-negative integer, got ${JSON.stringify(raw)}`);
    }
    if (key === 'status' && (n < 100 || n > 599)) {
      throw new RangeError(`fault key \`status\` must be an HTTP status 100–599, got ${n}`);
    }
    if (key === 'arg_chunks' && n < 1)
      throw new RangeError('fault key `arg_chunks` must be at least 1, got 0');
    return n;
  }
  if (kind === 'reply') {
    if (raw.trim().startsWith('{')) return parseReplyScript(raw, 'fault key `reply`');
    if (raw.trim() === '') throw new TypeError('fault key `reply` needs a script name or a JSON script');
  }
  return raw;
}

/**
 * Parses a fault spec: `;`-separated `key=value` pairs (or a bare `key`, meaning true);
 * values are URL-decoded. Unknown keys and bad values throw, naming the key.
 *
 * @example
 * ```ts
 * parseFaultSpec('status=503;retry_after_ms=20'); // { status: 503, retry_after_ms: 20 }
 * ```
 */
export function parseFaultSpec(text: string): FaultSpec {
  const spec: Record<string, FaultSpec[keyof FaultSpec]> = {};
  for (const part of text.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq === -1 ? item : item.slice(0, eq)).trim();
    const raw = eq === -1 ? undefined : decodeURIComponent(item.slice(eq + 1));
    if (!isKey(key)) throw new TypeError(`unknown fault key \`${key}\` in ${JSON.stringify(text)}`);
    spec[key] = parseValue(key, raw);
  }
  return spec as FaultSpec;
}

/**
 * Builds a model string carrying a fault spec, `base~k=v;k2=v2`, URL-encoding values.
 * `true` flags become bare keys; `undefined` values are left out.
 *
 * @example
 * ```ts
 * faultModel('gpt-4o', { status: 503, retry_after_ms: 20 }); // 'gpt-4o~status=503;retry_after_ms=20'
 * ```
 */
export function faultModel(base: string, spec: FaultSpec): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(spec) as [string, unknown][]) {
    if (value === undefined) continue;
    if (!isKey(key)) throw new TypeError(`unknown fault key \`${key}\``);
    const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    parts.push(value === true ? key : `${key}=${encodeURIComponent(text)}`);
  }
  return parts.length === 0 ? base : `${base}~${parts.join(';')}`;
}

/** Splits `base~spec` into the base model and its (first step's) parsed spec. */
export function splitModel(model: string): { baseModel: string; spec: FaultSpec } {
  return specForHit(model, 1);
}

/**
 * The spec for the `hit`-th request (1-based) of a model string. A suffix may script a
 * sequence of steps separated by `|`, one per hit, the last repeating; `ok` is a healthy step:
 * `gpt-4o~status=429;retry_after_ms=200|status=529|ok`.
 */
export function specForHit(model: string, hit: number): { baseModel: string; spec: FaultSpec } {
  const tilde = model.indexOf('~');
  if (tilde === -1) return { baseModel: model, spec: {} };
  const steps = model.slice(tilde + 1).split('|');
  const step = steps[Math.min(hit, steps.length) - 1]!;
  return { baseModel: model.slice(0, tilde), spec: step === 'ok' ? {} : parseFaultSpec(step) };
}

/** Keeps only the reply-shaping keys of a spec: what still applies once `fail_first` runs out. */
export function shapeOnly(spec: FaultSpec): FaultSpec {
  return Object.fromEntries(Object.entries(spec).filter(([key]) => SHAPE_KEYS.has(key))) as FaultSpec;
}
