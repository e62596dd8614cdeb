/**
 * The deterministic reply: its content blocks, streamed deltas, token counts and stop reason,
 * computed once per request from the spec, the reply script and the request body.
 */
import { cutBlocks, draftBlocks, type Block, type Delta } from './blocks.js';
import type { Provider } from './headers.js';
import type { ReplyScript } from './script.js';
import type { FaultSpec } from './spec.js';

/** What the server answers, before it is dressed in a wire format. */
export interface ReplyPlan {
  /** The model string exactly as the request sent it (with any fault suffix). */
  readonly model: string;
  /** The content blocks, in order: thinking (Anthropic only), text, tool calls. */
  readonly blocks: readonly Block[];
  /** Every streamed delta, in order; each is one chunk for the chunk-counting faults. */
  readonly deltas: readonly Delta[];
  /** The text of the text block ('' without one). */
  readonly text: string;
  /** Whether `max_tokens` cut the reply short. */
  readonly truncated: boolean;
  /** Whether the answer holds at least one tool call. */
  readonly toolCalls: boolean;
  /** A finish / stop reason word that replaces the computed one. */
  readonly finishReason: string | undefined;
  /** Deterministic prompt token count. */
  readonly promptTokens: number;
  /** Completion token count: one per delta, plus OpenAI's reasoning tokens. */
  readonly completionTokens: number;
  /** Usage details to report; absent ones are not sent. */
  readonly details: {
    readonly cachedInputTokens?: number;
    readonly cacheWriteInputTokens?: number;
    readonly reasoningTokens?: number;
  };
  /** The request id, `req_<counter>`, also sent as a header. */
  readonly requestId: string;
  /** Epoch seconds for the `created` field. */
  readonly created: number;
  /** Whether an OpenAI stream should end with a usage chunk. */
  readonly includeUsage: boolean;
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
  provider: Provider;
  model: string;
  baseModel: string;
  spec: FaultSpec;
  /** The reply script in force (`{}` for none). */
  script: ReplyScript;
  body: Record<string, unknown>;
  requestId: string;
}): ReplyPlan {
  const { script, spec, provider } = input;
  const { drafts, thinkingWords } = draftBlocks({
    ...input,
    requestNumber: input.requestId.replace(/^req_/, ''),
  });
  const { blocks, deltas, truncated } = cutBlocks(drafts, limitOf(input.body));
  const reasoningTokens =
    script.usage?.reasoningTokens ?? (script.reasoning === undefined ? undefined : thinkingWords);
  const streamOptions = input.body.stream_options;
  const text = blocks.find((block) => block.type === 'text')?.text ?? '';
  return {
    model: input.model,
    blocks,
    deltas,
    text,
    truncated,
    toolCalls: blocks.some((block) => block.type === 'tool'),
    finishReason: spec.finish ?? script.finishReason,
    promptTokens: promptTokens(input.body),
    completionTokens: deltas.length + (provider === 'openai' ? (reasoningTokens ?? 0) : 0),
    details: {
      ...(script.usage?.cachedInputTokens === undefined
        ? {}
        : { cachedInputTokens: script.usage.cachedInputTokens }),
      ...(script.usage?.cacheWriteInputTokens === undefined
        ? {}
        : { cacheWriteInputTokens: script.usage.cacheWriteInputTokens }),
      ...(reasoningTokens === undefined ? {} : { reasoningTokens }),
    },
    requestId: input.requestId,
    created: Math.floor(Date.now() / 1000),
    includeUsage:
      typeof streamOptions === 'object' &&
      streamOptions !== null &&
      'include_usage' in streamOptions &&
      streamOptions.include_usage === true,
  };
}
