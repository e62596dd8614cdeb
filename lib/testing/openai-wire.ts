/**
 * The OpenAI chat-completions wire format: `chat.completion` bodies, `chat.completion.chunk`
 * SSE frames ending in `data: [DONE]`, and `{"error": {…}}` error bodies.
 */
import type { Delta } from './blocks.js';
import type { ReplyPlan } from './reply.js';
import { dataFrame, LISTED_MODELS, type Wire } from './wire.js';

const FINGERPRINT = 'fp_fault';

function completionId(plan: ReplyPlan): string {
  return `chatcmpl-${plan.requestId.replace(/^req_/, 'fault')}`;
}

function usage(plan: ReplyPlan) {
  const { cachedInputTokens, reasoningTokens } = plan.details;
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
    ...(cachedInputTokens === undefined && reasoningTokens === undefined
      ? {}
      : {
          prompt_tokens_details: { cached_tokens: cachedInputTokens ?? 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: reasoningTokens ?? 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        }),
  };
}

function finishReason(plan: ReplyPlan): string {
  if (plan.finishReason !== undefined) return plan.finishReason;
  if (plan.truncated) return 'length';
  return plan.toolCalls ? 'tool_calls' : 'stop';
}

function toolCalls(plan: ReplyPlan) {
  return plan.blocks.flatMap((block) =>
    block.type === 'tool'
      ? [{ id: block.id, type: 'function', function: { name: block.name, arguments: block.text } }]
      : [],
  );
}

/** The delta of one streamed piece: text content, or a tool call's arguments (id and name in its first). */
function deltaOf(plan: ReplyPlan, delta: Delta): Record<string, unknown> {
  const block = plan.blocks[delta.block];
  if (block?.type !== 'tool') return { content: delta.text };
  const call = delta.first
    ? {
        index: block.toolIndex,
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: delta.text },
      }
    : { index: block.toolIndex, function: { arguments: delta.text } };
  return { tool_calls: [call] };
}

function chunk(plan: ReplyPlan, delta: Record<string, unknown>, finish: string | null): string {
  return dataFrame({
    id: completionId(plan),
    object: 'chat.completion.chunk',
    created: plan.created,
    model: plan.model,
    system_fingerprint: FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(plan.includeUsage ? { usage: null } : {}),
  });
}

/** The OpenAI chat-completions wire format. */
export const openaiWire: Wire = {
  provider: 'openai',

  json: (plan) => {
    const calls = toolCalls(plan);
    const hasText = plan.blocks.some((block) => block.type === 'text');
    return {
      id: completionId(plan),
      object: 'chat.completion',
      created: plan.created,
      model: plan.model,
      system_fingerprint: FINGERPRINT,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: hasText || calls.length === 0 ? plan.text : null,
            refusal: null,
            annotations: [],
            ...(calls.length === 0 ? {} : { tool_calls: calls }),
          },
          finish_reason: finishReason(plan),
          logprobs: null,
        },
      ],
      usage: usage(plan),
      service_tier: 'default',
    };
  },

  open: (plan) =>
    chunk(
      plan,
      { role: 'assistant', content: plan.blocks[0]?.type === 'tool' ? null : '', refusal: null },
      null,
    ),

  delta: (plan, delta) => chunk(plan, deltaOf(plan, delta), null),

  close: (plan, { noDone }) => {
    let frames = chunk(plan, {}, finishReason(plan));
    if (plan.includeUsage) {
      frames += dataFrame({
        id: completionId(plan),
        object: 'chat.completion.chunk',
        created: plan.created,
        model: plan.model,
        system_fingerprint: FINGERPRINT,
        choices: [],
        usage: usage(plan),
      });
    }
    return noDone ? frames : `${frames}data: [DONE]\n\n`;
  },

  errorEvent: (type) =>
    dataFrame({
      error: {
        message: 'The server had an error while processing your request.',
        type: type ?? 'server_error',
        code: null,
      },
    }),

  malformed: () => 'data: {not json\n\n',

  errorBody: (error) => ({ error: error.openai }),

  models: () => ({
    object: 'list',
    data: LISTED_MODELS.openai.map((id) => ({
      id,
      object: 'model',
      created: 1715367049,
      owned_by: 'system',
    })),
  }),
};
