import type { StopReason } from '../types.js';

/**
 * Every provider word we know, by category. OpenAI: `stop`, `length`, `tool_calls`,
 * `function_call` (legacy), `content_filter`. Anthropic: `end_turn`, `stop_sequence`,
 * `max_tokens`, `model_context_window_exceeded`, `tool_use`, `refusal`, `pause_turn`.
 */
const STOP_REASONS: Readonly<Record<string, StopReason>> = Object.freeze({
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  length: 'length',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  tool_use: 'tool-calls',
  content_filter: 'content-filter',
  refusal: 'content-filter',
});

/**
 * A provider's finish reason in the provider-neutral words of `Reply.stopReason`. A word with
 * no category (`pause_turn`, `eos_token`, `unknown`, …) is `'other'`.
 *
 * @example
 * stopReasonOf('tool_use'); // 'tool-calls'
 */
export function stopReasonOf(finishReason: string): StopReason {
  return Object.hasOwn(STOP_REASONS, finishReason) ? STOP_REASONS[finishReason]! : 'other';
}
