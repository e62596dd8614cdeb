import type { CallOptions, Message, Reply, StreamChunk, ToolCall } from '../lib/index.js';

// Type-level checks: `npm run typecheck` fails if a `@ts-expect-error` line stops being an error.
describe('content types', () => {
  it('type-check the documented shapes', () => {
    const reply = { content: [], toolCalls: [{ id: 'a', name: 'f', input: {} }] } as unknown as Reply;
    // A reply's content is an assistant turn, ready to append; its tool calls answer in a tool turn.
    const next: Message[] = [
      { role: 'user', content: [{ type: 'image', image: new Uint8Array(), mediaType: 'image/png' }] },
      { role: 'assistant', content: reply.content },
      {
        role: 'tool',
        content: reply.toolCalls.map((c: ToolCall) => ({
          type: 'tool-result',
          toolCallId: c.id,
          name: c.name,
          output: 1,
        })),
      },
    ];
    const options: CallOptions = {
      tools: [{ name: 'f', parameters: { type: 'object' } }],
      toolChoice: { name: 'f' },
      providerOptions: { openai: { seed: 1 }, anthropic: { top_k: 2 } },
    };
    const describeChunk = (chunk: StreamChunk): string => {
      switch (chunk.type) {
        case 'tool-call-delta':
          return chunk.inputDelta;
        case 'tool-call':
          return JSON.stringify(chunk.input);
        default:
          return chunk.text; // every chunk has text
      }
    };

    const rejected = (): void => {
      // @ts-expect-error a tool message is made of tool-result parts, never a string
      const toolString: Message = { role: 'tool', content: 'result' };
      // @ts-expect-error a user turn cannot hold a tool call
      const userCall: Message = {
        role: 'user',
        content: [{ type: 'tool-call', id: 'a', name: 'f', input: {} }],
      };
      // @ts-expect-error a system message is text only
      const systemParts: Message = { role: 'system', content: [{ type: 'text', text: 'x' }] };
      // @ts-expect-error toolChoice is 'auto' | 'none' | 'required' | { name }
      const anyChoice: CallOptions = { toolChoice: 'any' };
      // @ts-expect-error providerOptions is keyed by provider
      const gemini: CallOptions = { providerOptions: { gemini: {} } };
      // @ts-expect-error stopReason is normalised
      const stop: Reply['stopReason'] = 'end_turn';
      void [toolString, userCall, systemParts, anyChoice, gemini, stop];
    };
    expect([next.length, options.toolChoice, typeof describeChunk, typeof rejected]).toEqual([
      3,
      { name: 'f' },
      'function',
      'function',
    ]);
  });
});
