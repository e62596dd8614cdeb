import type { AssistantPart, Message, ToolCall } from '../types.js';

/** The text parts of an assistant turn, joined. */
export function textOf(content: readonly AssistantPart[]): string {
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}

/** The tool calls of an assistant turn, in order, as `{ id, name, input }`. */
export function toolCallsOf(content: readonly AssistantPart[]): ToolCall[] {
  const calls: ToolCall[] = [];
  for (const part of content) {
    if (part.type === 'tool-call') calls.push({ id: part.id, name: part.name, input: part.input });
  }
  return calls;
}

/**
 * Everything of a message a model reads as text, for token estimates: text and reasoning,
 * tool calls' names and arguments, tool results. Images and files are not text (see the
 * limiter's estimate for their cost).
 */
export function readableText(message: Message): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) {
    switch (part.type) {
      case 'text':
      case 'reasoning':
        text += part.text;
        break;
      case 'tool-call':
        text += part.name + JSON.stringify(part.input ?? null);
        break;
      case 'tool-result':
        text += typeof part.output === 'string' ? part.output : JSON.stringify(part.output ?? null);
        break;
      default:
        break;
    }
  }
  return text;
}
