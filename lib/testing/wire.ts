/**
 * The contract each wire format implements (OpenAI chat completions, Anthropic messages),
 * and the two SSE frame shapes they are written in.
 */
import type { Delta } from './blocks.js';
import type { ErrorDescription } from './errors.js';
import type { Provider } from './headers.js';
import type { ReplyPlan } from './reply.js';

/** One provider's wire format: every body and SSE frame the server can send. */
export interface Wire {
  readonly provider: Provider;
  /** The non-streaming reply body. */
  json(plan: ReplyPlan): unknown;
  /** Frames sent at once after the headers (OpenAI's role chunk, Anthropic's `message_start`). */
  open(plan: ReplyPlan): string;
  /**
   * The frames of one delta (one chunk for the chunk-counting faults): with the first delta of a
   * block its start (Anthropic `content_block_start`), with the last its stop.
   */
  delta(plan: ReplyPlan, delta: Delta): string;
  /** The terminal frames: stop reason, usage, end marker. */
  close(plan: ReplyPlan, options: { noDone: boolean }): string;
  /** An in-stream error event, with an optional error type. */
  errorEvent(type: string | undefined): string;
  /** A malformed event that the SDK will try, and fail, to parse as JSON. */
  malformed(): string;
  /** The error body for an HTTP error answer. */
  errorBody(error: ErrorDescription, requestId: string): unknown;
  /** The `GET /v1/models` list body. */
  models(): unknown;
}

/** An unnamed SSE frame: `data: <json>`. */
export function dataFrame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** A named SSE frame: `event: <type>` and `data: <json>`. */
export function eventFrame(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Model ids the `/v1/models` endpoints list. */
export const LISTED_MODELS = {
  openai: ['gpt-4o', 'gpt-4o-mini'],
  anthropic: ['claude-sonnet-4-6', 'claude-haiku-4-5'],
} as const;
