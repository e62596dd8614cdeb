import type { ToolCallDelta } from '../content/parts.js';
import { stopReasonOf } from '../content/stop-reason.js';
import { textOf, toolCallsOf } from '../content/text.js';
import type { AssistantPart, Attempt, Provider, Reply, StopReason, Usage } from '../types.js';

/** What a provider reads off one streamed SDK event. */
export interface StreamUpdate {
  /** The event starts a new text or reasoning block (Anthropic `content_block_start`): its pieces are a part of their own. */
  readonly newPart?: boolean;
  readonly text?: string;
  /** A piece of the model's reasoning (Anthropic `thinking_delta`). */
  readonly reasoning?: string;
  /** The reasoning block's signature (Anthropic `signature_delta`). */
  readonly signature?: string;
  /** A whole block of encrypted reasoning (Anthropic `redacted_thinking`): its `data`. */
  readonly redacted?: string;
  /** Pieces of tool calls. */
  readonly toolCalls?: readonly ToolCallDelta[];
  /** The tool call at this index is complete (Anthropic `content_block_stop`). */
  readonly toolCallEnd?: number;
  readonly finishReason?: string;
  /** Overrides the stop reason read from `finishReason` (an OpenAI refusal is a content filter). */
  readonly stopReason?: StopReason;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly reasoningTokens?: number;
  readonly cachedInputTokens?: number;
  /** The model named by the response. */
  readonly model?: string;
  /** The provider's last event: stop reading now (a stream lacking `[DONE]` then still finishes promptly). */
  readonly terminal?: boolean;
}

/**
 * A completed non-streamed answer, as a provider reads it off its SDK's response: `content`
 * (its parts), or just `text` for a text-only provider.
 */
export interface Completion {
  readonly content?: readonly AssistantPart[];
  readonly text?: string;
  readonly model: string;
  readonly finishReason: string;
  /** @default stopReasonOf(finishReason) */
  readonly stopReason?: StopReason;
  readonly usage: Usage;
  readonly raw: unknown;
}

/**
 * The reply of a completion, built in one object literal with every field it will carry (a spread
 * that adds keys afterwards, `{ ...fields, provider }`, costs V8 its fast path: about 0.8 µs a call).
 * A `'tool-calls'` stop without tool calls (the forced tool of an Anthropic structured answer, read
 * as text) is a `'stop'`.
 */
export function completionReply(done: Completion, provider: Provider, attempts: readonly Attempt[]): Reply {
  const content = done.content ?? (done.text ? [{ type: 'text' as const, text: done.text }] : []);
  const toolCalls = toolCallsOf(content);
  let stopReason = done.stopReason ?? stopReasonOf(done.finishReason);
  if (stopReason === 'tool-calls' && toolCalls.length === 0) stopReason = 'stop';
  return {
    text: done.content === undefined ? (done.text ?? '') : textOf(content),
    content,
    toolCalls,
    stopReason,
    model: done.model,
    finishReason: done.finishReason,
    usage: done.usage,
    raw: done.raw,
    provider,
    attempts,
  };
}

/** Receives an SDK response's headers; given to `complete`/`open` only when a layer listens. */
export type HeaderListener = (headers: Headers) => void;

/** An SDK call's promise (the `APIPromise` of both SDKs): awaitable, and able to show its raw response. */
export interface SdkPromise<T> extends PromiseLike<T> {
  asResponse(): Promise<Response>;
}

/**
 * The SDK call's result, its response headers handed to `onHeaders` (if there is one) as soon as
 * the response starts, before the result. Not `withResponse()`, whose `Promise.all` and async step
 * cost every call about as much as reading the headers. A listener that throws fails the call, as
 * any layer's failure does. A failed call's headers come with its error (the provider reads them
 * there), and its failure reaches the caller through `call`: the header side ignores it.
 */
export function withHeaders<T>(call: SdkPromise<T>, onHeaders: HeaderListener | undefined): PromiseLike<T> {
  if (onHeaders === undefined) return call;
  let thrown: { readonly error: unknown } | undefined;
  call.asResponse().then((response) => {
    try {
      onHeaders(response.headers);
    } catch (error) {
      thrown = { error };
    }
  }, ignore);
  return call.then((data) => {
    if (thrown) throw thrown.error;
    return data;
  });
}

function ignore(): void {}
