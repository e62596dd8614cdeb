import type { Message, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { parseToolInput } from '../content/json.js';
import type { LLMErrorOptions } from '../errors/classes.js';
import type { AssistantPart, Usage } from '../types.js';
import type { Completion, StreamUpdate } from './provider.js';

/** Usage fields beyond the basic counts, read loosely: older SDK types lack some of them. */
interface UsageDetails {
  readonly input_tokens?: number | null;
  readonly output_tokens?: number | null;
  readonly cache_read_input_tokens?: number | null;
  readonly output_tokens_details?: { readonly thinking_tokens?: number | null } | null;
}

/**
 * A message as a `Completion`: thinking as reasoning (with its signature; redacted thinking with its
 * `data`), text, tool calls.
 * `answer` names the structured-output tool: its call is the answer, read as JSON text.
 */
export function anthropicCompletion(
  message: Message,
  answer: string | undefined,
  context: LLMErrorOptions,
): Completion {
  const content: AssistantPart[] = [];
  let answerText: string | undefined;
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'thinking')
      content.push({ type: 'reasoning', text: block.thinking, signature: block.signature });
    else if (block.type === 'redacted_thinking')
      content.push({ type: 'reasoning', text: '', redacted: block.data });
    else if (block.type === 'tool_use') {
      const input = toolInput(block.input, block.name, context);
      if (block.name === answer) answerText = JSON.stringify(input);
      else content.push({ type: 'tool-call', id: block.id, name: block.name, input });
    }
  }
  return {
    // The answer tool's input is the whole answer: any text around it is the model talking.
    content:
      answerText === undefined
        ? content
        : [...content.filter((p) => p.type !== 'text'), { type: 'text', text: answerText }],
    model: message.model,
    finishReason: message.stop_reason ?? 'unknown',
    usage: anthropicUsage(message.usage as UsageDetails),
    raw: message,
  };
}

/**
 * A tool call's input: the API sends the parsed object; a string (a server replaying broken
 * arguments) is parsed, a `StructuredOutputError` when it is not JSON.
 */
function toolInput(input: unknown, name: string, context: LLMErrorOptions): unknown {
  return typeof input === 'string' ? parseToolInput(input, name, context) : input;
}

/** Usage, with cache reads (`cache_read_input_tokens`) and thinking tokens when reported. */
export function anthropicUsage(usage: UsageDetails): Usage {
  const inputTokens = usage.input_tokens ?? 0;
  const outputTokens = usage.output_tokens ?? 0;
  return { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, ...usageDetails(usage) };
}

function usageDetails(usage: UsageDetails): Pick<Usage, 'reasoningTokens' | 'cachedInputTokens'> {
  const cached = usage.cache_read_input_tokens;
  const thinking = usage.output_tokens_details?.thinking_tokens;
  return {
    ...(cached == null ? {} : { cachedInputTokens: cached }),
    ...(thinking == null ? {} : { reasoningTokens: thinking }),
  };
}

/** One streamed event. Tool calls are keyed by their content block's index. */
export function anthropicStreamUpdate(event: unknown): StreamUpdate | undefined {
  const e = event as RawMessageStreamEvent;
  switch (e.type) {
    case 'message_start': {
      const usage = e.message.usage as UsageDetails;
      return {
        model: e.message.model,
        inputTokens: usage.input_tokens ?? 0,
        outputTokens: usage.output_tokens ?? 0,
        ...usageDetails(usage),
      };
    }
    case 'content_block_start': {
      const block = e.content_block;
      if (block.type === 'tool_use') {
        // The API starts a call with `input: {}` and streams the JSON; a proxy may send it whole here.
        const whole = hasKeys(block.input) ? JSON.stringify(block.input) : undefined;
        return {
          toolCalls: [
            { index: e.index, id: block.id, name: block.name, ...(whole ? { inputDelta: whole } : {}) },
          ],
        };
      }
      if (block.type === 'text') return { newPart: true, ...(block.text ? { text: block.text } : {}) };
      if (block.type === 'thinking')
        return { newPart: true, ...(block.thinking ? { reasoning: block.thinking } : {}) };
      if (block.type === 'redacted_thinking') return { redacted: block.data };
      return undefined;
    }
    case 'content_block_delta': {
      const { delta } = e;
      switch (delta.type) {
        case 'text_delta':
          return { text: delta.text };
        case 'input_json_delta':
          return { toolCalls: [{ index: e.index, inputDelta: delta.partial_json }] };
        case 'thinking_delta':
          return { reasoning: delta.thinking };
        case 'signature_delta':
          return { signature: delta.signature };
        default:
          return undefined;
      }
    }
    case 'content_block_stop':
      return { toolCallEnd: e.index };
    case 'message_delta': {
      const usage = e.usage as UsageDetails;
      return {
        finishReason: e.delta.stop_reason ?? undefined,
        outputTokens: usage.output_tokens ?? 0,
        ...(usage.input_tokens == null ? {} : { inputTokens: usage.input_tokens }),
        ...usageDetails(usage),
      };
    }
    case 'message_stop':
      return { terminal: true };
    default:
      return undefined;
  }
}

/**
 * The stream with the structured-output tool's call turned into text: its input's JSON pieces
 * are the answer's text, streamed as it comes.
 */
export async function* answerAsText(
  events: AsyncIterable<unknown>,
  answer: string,
): AsyncGenerator<unknown, void, undefined> {
  const answering = new Set<number>();
  for await (const event of events) {
    const e = event as RawMessageStreamEvent;
    if (
      e.type === 'content_block_start' &&
      e.content_block.type === 'tool_use' &&
      e.content_block.name === answer
    ) {
      answering.add(e.index);
      yield {
        type: 'content_block_start',
        index: e.index,
        content_block: { type: 'text', text: '', citations: null },
      };
    } else if (
      e.type === 'content_block_delta' &&
      answering.has(e.index) &&
      e.delta.type === 'input_json_delta'
    ) {
      yield {
        type: 'content_block_delta',
        index: e.index,
        delta: { type: 'text_delta', text: e.delta.partial_json },
      };
    } else {
      yield event;
    }
  }
}

function hasKeys(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length > 0;
}
