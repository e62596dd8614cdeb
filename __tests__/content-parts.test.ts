import { PartsBuilder } from '../lib/content/parts.js';
import { ANTHROPIC_TOOL_IDS, OPENAI_TOOL_IDS, toolIdRewrites } from '../lib/content/tool-ids.js';
import { imageSource, parseDataUrl } from '../lib/content/media.js';
import { anthropicStreamUpdate } from '../lib/providers/anthropic-reply.js';
import { openaiStreamUpdate } from '../lib/providers/openai-reply.js';
import { chunksOf } from '../lib/providers/stream-read.js';
import type { Message, StreamChunk } from '../lib/index.js';

const feed = (
  updates: ReturnType<typeof anthropicStreamUpdate>[],
): { chunks: StreamChunk[]; parts: PartsBuilder } => {
  const parts = new PartsBuilder({ provider: 'openai', model: 'm' });
  const chunks: StreamChunk[] = [];
  for (const update of updates) if (update) chunks.push(...chunksOf(parts, update));
  chunks.push(...parts.finish());
  return { chunks, parts };
};

describe('stream readers', () => {
  it('OpenAI: whole calls without `index` (some compatible servers) stay two calls', () => {
    const update = openaiStreamUpdate({
      id: 'x',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'llama3',
      choices: [
        {
          index: 0,
          finish_reason: null,
          delta: {
            tool_calls: [
              { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
              { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
            ] as never,
          },
        },
      ],
    });
    const { parts } = feed([update]);
    expect(parts.content()).toEqual([
      { type: 'tool-call', id: 'a', name: 'f', input: { x: 1 } },
      { type: 'tool-call', id: 'b', name: 'g', input: {} },
    ]);
  });

  it('Anthropic: a call started with its whole input (a proxy) keeps it; consecutive thinking blocks stay apart', () => {
    const { chunks, parts } = feed([
      anthropicStreamUpdate({
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      }),
      anthropicStreamUpdate({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'thinking_delta', thinking: 'one' },
      }),
      anthropicStreamUpdate({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'signature_delta', signature: 's1' },
      }),
      anthropicStreamUpdate({ type: 'content_block_stop', index: 0 }),
      anthropicStreamUpdate({
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'thinking', thinking: '', signature: '' },
      }),
      anthropicStreamUpdate({
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'thinking_delta', thinking: 'two' },
      }),
      anthropicStreamUpdate({
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'signature_delta', signature: 's2' },
      }),
      anthropicStreamUpdate({
        type: 'content_block_start',
        index: 2,
        content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: { city: 'Oslo' } } as never,
      }),
      anthropicStreamUpdate({ type: 'content_block_stop', index: 2 }),
    ]);
    expect(parts.content()).toEqual([
      { type: 'reasoning', text: 'one', signature: 's1' },
      { type: 'reasoning', text: 'two', signature: 's2' },
      { type: 'tool-call', id: 'toolu_1', name: 'f', input: { city: 'Oslo' } },
    ]);
    expect(chunks.map((c) => c.type)).toEqual(['reasoning', 'reasoning', 'tool-call-delta', 'tool-call']);
  });
});

describe('toolIdRewrites', () => {
  const conversation = (...ids: string[]): Message[] => [
    {
      role: 'assistant',
      content: ids.map((id) => ({ type: 'tool-call' as const, id, name: 'f', input: {} })),
    },
    {
      role: 'tool',
      content: ids.map((id) => ({ type: 'tool-result' as const, toolCallId: id, name: 'f', output: '' })),
    },
  ];

  it('leaves accepted ids alone and rewrites the rest into the target alphabet, deterministically and distinctly', () => {
    const ids = ['call_ok', 'functions.f:0', 'functions.f;0', 'functions/f 0'];
    const first = toolIdRewrites(conversation(...ids), ANTHROPIC_TOOL_IDS);
    const again = toolIdRewrites(conversation(...ids), ANTHROPIC_TOOL_IDS);
    expect(first.has('call_ok')).toBe(false);
    expect([...first.keys()]).toEqual(ids.slice(1));
    expect([...first.values()]).toEqual([...again.values()]);
    expect(new Set(first.values()).size).toBe(3);
    for (const id of first.values()) expect(id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it('never rewrites onto an id the conversation already uses', () => {
    const first = toolIdRewrites(conversation('a:b'), ANTHROPIC_TOOL_IDS).get('a:b')!;
    const clash = toolIdRewrites(conversation('a:b', first), ANTHROPIC_TOOL_IDS).get('a:b')!;
    expect(clash).not.toBe(first);
    expect(clash).toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  it('shortens ids over 40 characters for OpenAI', () => {
    const long = 'x'.repeat(80);
    const id = toolIdRewrites(conversation(long), OPENAI_TOOL_IDS).get(long)!;
    expect(id.length).toBeLessThanOrEqual(40);
  });
});

describe('media', () => {
  it('reads data URLs and names the part when one cannot be used', () => {
    expect(parseDataUrl('data:image/png;base64,AAAA')).toEqual({ mediaType: 'image/png', data: 'AAAA' });
    expect(parseDataUrl('https://x')).toBeUndefined();
    expect(() => imageSource({ type: 'image', image: 'data:,hello' }, 'messages[0].content[2]')).toThrow(
      /messages\[0\]\.content\[2\] \(image\): a data: URL must be base64/,
    );
  });
});
