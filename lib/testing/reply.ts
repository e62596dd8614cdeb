/**
 * The deterministic reply: its text pieces, token counts and stop reason, computed once
 * per request from the spec and the request body, the same for both wire formats.
 */
import type { FaultSpec } from './spec.js';

/** What the server answers, before it is dressed in a wire format. */
export interface ReplyPlan {
  /** The model string exactly as the request sent it (with any fault suffix). */
  readonly model: string;
  /** Text pieces, one per streamed chunk; already cut at `max_tokens`. */
  readonly pieces: readonly string[];
  /** The whole reply text (the pieces joined). */
  readonly text: string;
  /** Whether `max_tokens` cut the reply short. */
  readonly truncated: boolean;
  /** Deterministic prompt token count. */
  readonly promptTokens: number;
  /** Completion token count: one per piece. */
  readonly completionTokens: number;
  /** The request id, `req_<counter>`, also sent as a header. */
  readonly requestId: string;
  /** Epoch seconds for the `created` field. */
  readonly created: number;
  /** Whether an OpenAI stream should end with a usage chunk. */
  readonly includeUsage: boolean;
}

/** Splits text into word pieces, each with its leading whitespace; the first has none. */
export function splitWords(text: string): string[] {
  const pieces = text.match(/^\s*\S+|\s+\S+/g) ?? [];
  const trailing = /\s+$/.exec(text)?.[0];
  if (trailing !== undefined && pieces.length > 0) pieces[pieces.length - 1] += trailing;
  return pieces.length > 0 || text === '' ? pieces : [text];
}

/** The reply pieces for a spec: `chunks=N` generated pieces, `text`, or the default greeting. */
export function replyPieces(spec: FaultSpec, baseModel: string): string[] {
  if (spec.chunks !== undefined) {
    return Array.from({ length: spec.chunks }, (_, i) => (i === 0 ? 'w1' : ` w${i + 1}`));
  }
  return splitWords(spec.text ?? `Hello from ${baseModel}.`);
}

function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (Array.isArray(content)) {
    return content.reduce<number>((sum, part) => sum + contentChars(textOf(part)), 0);
  }
  return 0;
}

function textOf(part: unknown): unknown {
  return typeof part === 'object' && part !== null && 'text' in part ? part.text : part;
}

/** A simple deterministic prompt token count: ceil(characters of all message contents / 4). */
export function promptTokens(body: Record<string, unknown>): number {
  let chars = contentChars(body.system);
  if (Array.isArray(body.messages)) {
    for (const message of body.messages as unknown[]) {
      if (typeof message === 'object' && message !== null && 'content' in message) {
        chars += contentChars(message.content);
      }
    }
  }
  return Math.ceil(chars / 4);
}

function limitOf(body: Record<string, unknown>): number | undefined {
  const limits = [body.max_tokens, body.max_completion_tokens].filter(
    (n): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0,
  );
  return limits.length === 0 ? undefined : Math.min(...limits);
}

/** Builds the reply plan for one request. */
export function planReply(input: {
  model: string;
  baseModel: string;
  spec: FaultSpec;
  body: Record<string, unknown>;
  requestId: string;
}): ReplyPlan {
  const all = replyPieces(input.spec, input.baseModel);
  const limit = limitOf(input.body);
  const truncated = limit !== undefined && all.length > limit;
  const pieces = truncated ? all.slice(0, limit) : all;
  const streamOptions = input.body.stream_options;
  return {
    model: input.model,
    pieces,
    text: pieces.join(''),
    truncated,
    promptTokens: promptTokens(input.body),
    completionTokens: pieces.length,
    requestId: input.requestId,
    created: Math.floor(Date.now() / 1000),
    includeUsage:
      typeof streamOptions === 'object' &&
      streamOptions !== null &&
      'include_usage' in streamOptions &&
      streamOptions.include_usage === true,
  };
}
