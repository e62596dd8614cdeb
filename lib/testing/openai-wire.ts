/**
 * The OpenAI chat-completions wire format: `chat.completion` bodies, `chat.completion.chunk`
 * SSE frames ending in `data: [DONE]`, and `{"error": {…}}` error bodies.
 */
import type { ReplyPlan } from './reply.js';
import { dataFrame, LISTED_MODELS, type Wire } from './wire.js';

const FINGERPRINT = 'fp_fault';

function completionId(plan: ReplyPlan): string {
  return `chatcmpl-${plan.requestId.replace(/^req_/, 'fault')}`;
}

function usage(plan: ReplyPlan) {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
  };
}

function finishReason(plan: ReplyPlan): 'stop' | 'length' {
  return plan.truncated ? 'length' : 'stop';
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

  json: (plan) => ({
    id: completionId(plan),
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    system_fingerprint: FINGERPRINT,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: plan.text, refusal: null, annotations: [] },
        finish_reason: finishReason(plan),
        logprobs: null,
      },
    ],
    usage: usage(plan),
    service_tier: 'default',
  }),

  open: (plan) => chunk(plan, { role: 'assistant', content: '', refusal: null }, null),

  blockStart: () => '',

  piece: (plan, text) => chunk(plan, { content: text }, null),

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
