import type { AssistantPart, Message, ToolCall, ToolResultPart, UserPart } from '../types.js';

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

/**
 * The message with each text the model reads passed through `f`: a string `content`, text parts,
 * and tool results' string outputs (images, files, tool calls and reasoning as they are). For a
 * middleware that rewrites prompts, e.g. redaction.
 *
 * @example
 * const redact: LLMMiddleware = {
 *   name: 'redact',
 *   transformRequest: (req) => ({ ...req, messages: req.messages.map((m) => mapText(m, (t) => t.replace(EMAIL, '[email]'))) }),
 * };
 */
export function mapText<M extends Message>(message: M, f: (text: string) => string): M {
  const { content } = message;
  if (typeof content === 'string') return { ...message, content: f(content) };
  const parts = (content as readonly (AssistantPart | UserPart | ToolResultPart)[]).map((part) => {
    if (part.type === 'text') return { ...part, text: f(part.text) };
    if (part.type === 'tool-result' && typeof part.output === 'string')
      return { ...part, output: f(part.output) };
    return part;
  });
  return { ...message, content: parts };
}
