/**
 * The Anthropic messages wire format: `message` bodies, named SSE events from
 * `message_start` to `message_stop`, and `{"type":"error","error":{…}}` error bodies.
 */
import type { Block, Delta } from './blocks.js';
import type { ReplyPlan } from './reply.js';
import { eventFrame, LISTED_MODELS, type Wire } from './wire.js';

function messageId(plan: ReplyPlan): string {
  return `msg_${plan.requestId.replace(/^req_/, 'fault')}`;
}

function usage(plan: ReplyPlan, outputTokens: number) {
  const { cachedInputTokens, cacheWriteInputTokens, reasoningTokens } = plan.details;
  return {
    input_tokens: plan.promptTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: cachedInputTokens ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: cacheWriteInputTokens ?? 0, ephemeral_1h_input_tokens: 0 },
    ...(reasoningTokens === undefined ? {} : { output_tokens_details: { thinking_tokens: reasoningTokens } }),
    server_tool_use: null,
    service_tier: 'standard',
  };
}

function stopReason(plan: ReplyPlan): string {
  if (plan.finishReason !== undefined) return plan.finishReason;
  if (plan.truncated) return 'max_tokens';
  return plan.toolCalls ? 'tool_use' : 'end_turn';
}

/** A tool call's input as a JSON body holds it: the parsed object, or the raw text when it is not JSON. */
function parsedInput(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function contentOf(block: Block): Record<string, unknown> {
  switch (block.type) {
    case 'thinking':
      return { type: 'thinking', thinking: block.text, signature: block.signature };
    case 'redacted':
      return { type: 'redacted_thinking', data: block.data };
    case 'text':
      return { type: 'text', text: block.text };
    case 'tool':
      return { type: 'tool_use', id: block.id, name: block.name, input: parsedInput(block.text) };
  }
}

/** The empty block a `content_block_start` announces. */
function emptyOf(block: Block): Record<string, unknown> {
  switch (block.type) {
    case 'thinking':
      return { type: 'thinking', thinking: '', signature: '' };
    case 'redacted':
      return { type: 'redacted_thinking', data: block.data };
    case 'text':
      return { type: 'text', text: '' };
    case 'tool':
      return { type: 'tool_use', id: block.id, name: block.name, input: {} };
  }
}

const DELTA_SHAPES: Record<Exclude<Delta['kind'], 'redacted'>, (text: string) => Record<string, unknown>> = {
  thinking: (thinking) => ({ type: 'thinking_delta', thinking }),
  signature: (signature) => ({ type: 'signature_delta', signature }),
  text: (text) => ({ type: 'text_delta', text }),
  args: (partial_json) => ({ type: 'input_json_delta', partial_json }),
};

function blockStart(index: number, block: Block): string {
  const start = eventFrame('content_block_start', {
    type: 'content_block_start',
    index,
    content_block: emptyOf(block),
  });
  return index === 0 ? start + eventFrame('ping', { type: 'ping' }) : start;
}

function blockStop(index: number): string {
  return eventFrame('content_block_stop', { type: 'content_block_stop', index });
}

function message(plan: ReplyPlan, content: unknown[], stop: string | null, outputTokens: number) {
  return {
    id: messageId(plan),
    type: 'message',
    role: 'assistant',
    model: plan.model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    stop_details: null,
    container: null,
    usage: usage(plan, outputTokens),
  };
}

const ERROR_MESSAGES: Record<string, string> = {
  overloaded_error: 'Overloaded',
  api_error: 'Internal server error',
  rate_limit_error: 'Rate limited',
};

/** The Anthropic messages wire format. */
export const anthropicWire: Wire = {
  provider: 'anthropic',

  json: (plan) =>
    message(
      plan,
      plan.blocks.length === 0 ? [{ type: 'text', text: '' }] : plan.blocks.map(contentOf),
      stopReason(plan),
      plan.completionTokens,
    ),

  open: (plan) => eventFrame('message_start', { type: 'message_start', message: message(plan, [], null, 1) }),

  delta: (plan, delta) => {
    const block = plan.blocks[delta.block]!;
    // A redacted_thinking block arrives whole in its start: no delta event.
    const frame =
      delta.kind === 'redacted'
        ? ''
        : eventFrame('content_block_delta', {
            type: 'content_block_delta',
            index: delta.block,
            delta: DELTA_SHAPES[delta.kind](delta.text),
          });
    return (
      (delta.first ? blockStart(delta.block, block) : '') + frame + (delta.last ? blockStop(delta.block) : '')
    );
  },

  close: (plan) => {
    const { cachedInputTokens, cacheWriteInputTokens, reasoningTokens } = plan.details;
    // An answer without any delta still has its (empty) text block.
    const empty = plan.deltas.length === 0 ? blockStart(0, { type: 'text', text: '' }) + blockStop(0) : '';
    return (
      empty +
      eventFrame('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason(plan), stop_sequence: null, stop_details: null, container: null },
        usage: {
          input_tokens: plan.promptTokens,
          cache_creation_input_tokens: cacheWriteInputTokens ?? 0,
          cache_read_input_tokens: cachedInputTokens ?? 0,
          output_tokens: plan.completionTokens,
          ...(reasoningTokens === undefined
            ? {}
            : { output_tokens_details: { thinking_tokens: reasoningTokens } }),
        },
      }) +
      eventFrame('message_stop', { type: 'message_stop' })
    );
  },

  errorEvent: (type = 'overloaded_error') =>
    eventFrame('error', {
      type: 'error',
      error: { type, message: ERROR_MESSAGES[type] ?? `Simulated ${type} error.` },
    }),

  // Named, so the SDK tries to parse it: Anthropic's SDK skips unnamed events.
  malformed: () => 'event: content_block_delta\ndata: {not json\n\n',

  errorBody: (error, requestId) => ({ type: 'error', error: error.anthropic, request_id: requestId }),

  models: () => ({
    data: LISTED_MODELS.anthropic.map((id) => ({
      type: 'model',
      id,
      display_name: id,
      created_at: '2025-09-29T00:00:00Z',
    })),
    has_more: false,
    first_id: LISTED_MODELS.anthropic[0],
    last_id: LISTED_MODELS.anthropic[LISTED_MODELS.anthropic.length - 1],
  }),
};
