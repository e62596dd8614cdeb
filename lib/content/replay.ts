import type { Reply, StreamChunk } from '../types.js';

/**
 * A complete reply as the chunks a live stream of it would show, in its content's order:
 * reasoning, text one word at a time (with the whitespace before it), and each tool call as one
 * `tool-call-delta` holding all its arguments then its `tool-call`. Joined, the chunks give back
 * the reply's text and tool calls exactly. For a cached reply served to `stream()`.
 *
 * @example
 * for (const chunk of replayChunks(reply)) yield chunk;
 */
export function replayChunks(reply: Pick<Reply, 'content' | 'text'>): StreamChunk[] {
  const chunks: StreamChunk[] = [];
  // A reply made by hand may carry its text only.
  const content =
    reply.content.length === 0 && reply.text ? [{ type: 'text' as const, text: reply.text }] : reply.content;
  for (const part of content) {
    if (part.type === 'text') {
      for (const text of part.text.match(/\s*\S+|\s+$/g) ?? []) chunks.push({ type: 'text', text });
    } else if (part.type === 'reasoning') {
      if (part.text !== '') chunks.push({ type: 'reasoning', text: part.text });
    } else {
      const { id, name, input } = part;
      chunks.push({ type: 'tool-call-delta', id, name, inputDelta: JSON.stringify(input ?? {}), text: '' });
      chunks.push({ type: 'tool-call', id, name, input, text: '' });
    }
  }
  return chunks;
}
