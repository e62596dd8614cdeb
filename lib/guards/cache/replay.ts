import type { Reply, StreamChunk } from '../../types.js';

/**
 * A cached reply as the chunks a live stream of it would have sent, in the order of its
 * content: reasoning as one `reasoning` chunk, text word by word (`text` chunks that join to the
 * exact text), each tool call as one `tool-call-delta` holding its whole JSON input and then its
 * `tool-call`. A reply without content parts (cached by an older version) replays its text.
 *
 * @example
 * [...replayChunks(reply)].map((c) => c.type); // ['text', 'text', 'tool-call-delta', 'tool-call']
 */
export function* replayChunks(reply: Reply): Generator<StreamChunk, void, undefined> {
  const content = reply.content ?? [{ type: 'text', text: reply.text }];
  for (const part of content) {
    switch (part.type) {
      case 'text':
        for (const text of chunksOf(part.text)) yield { type: 'text', text };
        break;
      case 'reasoning':
        if (part.text !== '') yield { type: 'reasoning', text: part.text };
        break;
      case 'tool-call': {
        const { id, name, input } = part;
        yield { type: 'tool-call-delta', id, name, inputDelta: JSON.stringify(input ?? {}), text: '' };
        yield { type: 'tool-call', id, name, input, text: '' };
        break;
      }
    }
  }
}

/** A cached text as stream chunks: one per word with the whitespace before it; joined, the exact text. */
export function chunksOf(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}
