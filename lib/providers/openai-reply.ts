import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { parseToolInput } from '../content/json.js';
import type { ToolCallDelta } from '../content/parts.js';
import type { LLMErrorOptions } from '../errors/classes.js';
import type { AssistantPart, Usage } from '../types.js';
import type { Completion, StreamUpdate } from './provider.js';

/**
 * A chat completion as a `Completion`: the message's text (or refusal), then its function tool
 * calls with their arguments parsed (a `StructuredOutputError` when they are not JSON).
 */
export function openaiCompletion(response: ChatCompletion, context: LLMErrorOptions): Completion {
  const choice = response.choices[0];
  const message = choice?.message;
  const content: AssistantPart[] = [];
  const reasoning = reasoningOf(message);
  if (reasoning) content.push({ type: 'reasoning', text: reasoning });
  const text = message?.content ?? message?.refusal ?? '';
  if (text !== '') content.push({ type: 'text', text });
  for (const call of message?.tool_calls ?? []) {
    if (call.type !== 'function') continue; // custom (free-form) tools are not ours to send
    const { name, arguments: args } = call.function;
    content.push({ type: 'tool-call', id: call.id, name, input: parseToolInput(args, name, context) });
  }
  const finishReason = choice?.finish_reason ?? 'unknown';
  return {
    content,
    model: response.model,
    finishReason,
    ...(message?.refusal ? { stopReason: 'content-filter' as const } : {}),
    usage: openaiUsage(response.usage),
    raw: response,
  };
}

/** Usage, with reasoning and cached tokens when the response reports them. */
export function openaiUsage(usage: CompletionUsage | null | undefined): Usage {
  const reasoningTokens = usage?.completion_tokens_details?.reasoning_tokens;
  const cachedInputTokens = usage?.prompt_tokens_details?.cached_tokens;
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
    totalTokens: usage?.total_tokens ?? 0,
    ...(reasoningTokens == null ? {} : { reasoningTokens }),
    ...(cachedInputTokens == null ? {} : { cachedInputTokens }),
  };
}

/** One streamed chunk: text, tool-call pieces, the finish reason, and usage (the last chunk). */
export function openaiStreamUpdate(chunk: ChatCompletionChunk): StreamUpdate {
  const choice = chunk.choices?.[0];
  const delta = choice?.delta;
  const usage = chunk.usage;
  const toolCalls: ToolCallDelta[] | undefined = delta?.tool_calls?.map((call, position) => ({
    // Some OpenAI-compatible servers send whole calls without `index`: their position stands in.
    index: typeof call.index === 'number' ? call.index : position,
    ...(call.id ? { id: call.id } : {}),
    ...(call.function?.name ? { name: call.function.name } : {}),
    ...(call.function?.arguments ? { inputDelta: call.function.arguments } : {}),
  }));
  const reasoning = reasoningOf(delta);
  return {
    model: chunk.model,
    ...(reasoning ? { reasoning } : {}),
    text: delta?.content ?? delta?.refusal ?? undefined,
    ...(toolCalls?.length ? { toolCalls } : {}),
    finishReason: choice?.finish_reason ?? undefined,
    ...(delta?.refusal ? { stopReason: 'content-filter' as const } : {}),
    ...(usage == null ? {} : openaiUsage(usage)),
    // The usage chunk comes last; `[DONE]` after it carries nothing, so we need not wait for it.
    terminal: usage != null,
  };
}

/**
 * The reasoning text some OpenAI-compatible servers send beside the answer (DeepSeek, vLLM, Ollama:
 * `reasoning_content`; OpenRouter: `reasoning`). OpenAI's own chat completions send none.
 */
function reasoningOf(message: object | null | undefined): string | undefined {
  const m = message as { reasoning_content?: unknown; reasoning?: unknown } | null | undefined;
  const value = m?.reasoning_content ?? m?.reasoning;
  return typeof value === 'string' && value !== '' ? value : undefined;
}
