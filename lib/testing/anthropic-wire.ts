/**
 * The Anthropic messages wire format: `message` bodies, named SSE events from
 * `message_start` to `message_stop`, and `{"type":"error","error":{…}}` error bodies.
 */
import type { ReplyPlan } from './reply.js';
import { eventFrame, LISTED_MODELS, type Wire } from './wire.js';

function messageId(plan: ReplyPlan): string {
  return `msg_${plan.requestId.replace(/^req_/, 'fault')}`;
}

function usage(plan: ReplyPlan, outputTokens: number) {
  return {
    input_tokens: plan.promptTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    server_tool_use: null,
    service_tier: 'standard',
  };
}

function stopReason(plan: ReplyPlan): 'end_turn' | 'max_tokens' {
  return plan.truncated ? 'max_tokens' : 'end_turn';
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

  json: (plan) => message(plan, [{ type: 'text', text: plan.text }], stopReason(plan), plan.completionTokens),

  open: (plan) => eventFrame('message_start', { type: 'message_start', message: message(plan, [], null, 1) }),

  blockStart: () =>
    eventFrame('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }) + eventFrame('ping', { type: 'ping' }),

  piece: (_plan, text) =>
    eventFrame('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text },
    }),

  close: (plan) =>
    eventFrame('content_block_stop', { type: 'content_block_stop', index: 0 }) +
    eventFrame('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason(plan), stop_sequence: null, stop_details: null, container: null },
      usage: {
        input_tokens: plan.promptTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: plan.completionTokens,
      },
    }) +
    eventFrame('message_stop', { type: 'message_stop' }),

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
