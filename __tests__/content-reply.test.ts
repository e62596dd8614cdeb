import { z } from 'zod';
import { type LLM, type Reply, type StreamChunk, StructuredOutputError } from '../lib/index.js';
import { FaultServer, type ReplyScript } from '../lib/testing/index.js';
import { CONTENT_MODEL, type ProviderName, wireLLM } from './helpers/wire.js';

// Replies as the real SDKs parse the fault server's wire answers, read into provider-neutral content.

const weather: ReplyScript = {
  text: 'Let me check.',
  toolCalls: [
    { id: 'call_a', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
    { id: 'call_b', name: 'get_time', input: { zone: 'Europe/Paris' } },
  ],
  argChunks: 4,
};
const thinking: ReplyScript = {
  reasoning: { text: 'The user greets me warmly.', signature: 'sig-xyz' },
  text: 'Hi there!',
  usage: { cachedInputTokens: 7, reasoningTokens: 5 },
};
const tools = [
  { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } },
];

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start({
    replies: {
      weather,
      thinking,
      redacted: {
        reasoning: { text: 'Weather first.', signature: 'sig-r', redacted: 'RW5jcnlwdGVk' },
        toolCalls: [{ id: 'toolu_r1', name: 'get_weather', input: { city: 'Paris' } }],
      },
      broken: { toolCalls: [{ id: 'call_x', name: 'get_weather', inputText: '{"city": "Par' }] },
      answer: { json: { city: 'Oslo', celsius: 4 } },
      notjson: { jsonText: '{"city": "Oslo", "celsius":' },
      wrong: { json: { city: 'Oslo', celsius: 'cold' } },
    },
  });
});
afterAll(() => server.close());

type Name = ProviderName;
const make = (provider: Name, model: string): LLM =>
  wireLLM(server, provider, `${CONTENT_MODEL[provider]}${model}`);

async function streamed(
  llm: LLM,
  options: Parameters<LLM['stream']>[1] = {},
): Promise<{ chunks: StreamChunk[]; reply: Reply }> {
  const stream = llm.stream('hi', options);
  const chunks: StreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { chunks, reply: await stream.finalReply() };
}

/** The text of the streamed chunks of one type, joined. */
function joined(chunks: readonly StreamChunk[], type: 'text' | 'reasoning'): string {
  return chunks
    .filter((c) => c.type === type)
    .map((c) => ('text' in c ? c.text : ''))
    .join('');
}

/** The parts of a reply that ask and stream must agree on. */
const essence = (r: Reply) => ({
  text: r.text,
  content: r.content,
  toolCalls: r.toolCalls,
  stopReason: r.stopReason,
  finishReason: r.finishReason,
  object: r.object,
});

describe.each(['openai', 'anthropic'] as const)('%s replies', (provider) => {
  it('reads text and tool calls, ask and stream alike', async () => {
    const llm = make(provider, '~reply=weather');
    const asked = await llm.ask('hi', { tools });
    expect(asked.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool-call', id: 'call_a', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
      { type: 'tool-call', id: 'call_b', name: 'get_time', input: { zone: 'Europe/Paris' } },
    ]);
    expect(asked.toolCalls).toEqual([
      { id: 'call_a', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
      { id: 'call_b', name: 'get_time', input: { zone: 'Europe/Paris' } },
    ]);
    expect(asked.stopReason).toBe('tool-calls');
    const { chunks, reply } = await streamed(llm, { tools });
    expect(essence(reply)).toEqual(essence(asked));
    // The deltas of each call add up to its arguments; the completed call follows them.
    const a = chunks.filter((c) => c.type === 'tool-call-delta' && c.id === 'call_a');
    expect(a.length).toBeGreaterThan(1);
    expect(a.map((c) => (c.type === 'tool-call-delta' ? c.inputDelta : '')).join('')).toBe(
      '{"city":"Paris","unit":"celsius"}',
    );
    expect(chunks.filter((c) => c.type === 'tool-call')).toEqual([
      {
        type: 'tool-call',
        id: 'call_a',
        name: 'get_weather',
        input: { city: 'Paris', unit: 'celsius' },
        text: '',
      },
      { type: 'tool-call', id: 'call_b', name: 'get_time', input: { zone: 'Europe/Paris' }, text: '' },
    ]);
    const kinds = chunks.map((c) => c.type);
    expect(kinds.indexOf('tool-call')).toBeGreaterThan(kinds.lastIndexOf('text'));
    expect(kinds.indexOf('tool-call')).toBeLessThan(kinds.lastIndexOf('tool-call-delta')); // call_a completes before call_b's pieces end
  });

  it('raises StructuredOutputError for tool-call arguments that are not JSON, ask and stream', async () => {
    const llm = make(provider, '~reply=broken');
    const asked = await llm.ask('hi', { tools }).catch((e: unknown) => e);
    expect(asked).toBeInstanceOf(StructuredOutputError);
    expect(asked).toMatchObject({
      kind: 'structured_output',
      text: '{"city": "Par',
      provider,
      retryable: false,
    });
    const stream = llm.stream('hi', { tools });
    const iterated = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(iterated).toBeInstanceOf(StructuredOutputError);
    await expect(stream.finalReply()).rejects.toBe(iterated);
  });

  it('reads a structured answer into object, ask and stream, with zod', async () => {
    const schema = z.object({ city: z.string(), celsius: z.number(), source: z.string().default('model') });
    const llm = make(provider, '~reply=answer');
    const asked = await llm.ask('hi', { schema });
    expect(asked.object).toEqual({ city: 'Oslo', celsius: 4, source: 'model' }); // defaults applied
    expect(asked.stopReason).toBe('stop');
    const { chunks, reply } = await streamed(llm, { schema });
    expect(essence(reply)).toEqual(essence(asked));
    expect(chunks.every((c) => c.type === 'text')).toBe(true); // the JSON streams as text
    expect(chunks.map((c) => c.text).join('')).toBe(asked.text);
  });

  it('raises StructuredOutputError for an answer that is not JSON or breaks the schema', async () => {
    const schema = z.object({ city: z.string(), celsius: z.number() });
    const notJson = await make(provider, '~reply=notjson')
      .ask('hi', { schema })
      .catch((e: unknown) => e);
    expect(notJson).toMatchObject({ kind: 'structured_output', issues: undefined });
    const wrong = await make(provider, '~reply=wrong')
      .ask('hi', { schema })
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({
      kind: 'structured_output',
      issues: [expect.objectContaining({ path: ['celsius'] })],
    });
    const streamedWrong = await make(provider, '~reply=wrong')
      .stream('hi', { schema })
      .finalReply()
      .catch((e: unknown) => e);
    expect(streamedWrong).toMatchObject({ kind: 'structured_output' });
  });

  it('reads choices into choice, ask and stream', async () => {
    server.defineReply('pick', { json: { choice: 'no' } });
    const reply = await make(provider, '~reply=pick').ask('Is it raining?', { choices: ['yes', 'no'] });
    expect(reply.choice).toBe('no');
    const streamedReply = await make(provider, '~reply=pick')
      .stream('Is it raining?', { choices: ['yes', 'no'] })
      .finalReply();
    expect(streamedReply.choice).toBe('no');
  });

  it('fills reasoningTokens and cachedInputTokens where reported', async () => {
    const llm = make(provider, '~reply=thinking');
    const asked = await llm.ask('hi');
    expect(asked.usage).toMatchObject({ reasoningTokens: 5, cachedInputTokens: 7 });
    const { reply } = await streamed(llm);
    expect(reply.usage).toMatchObject({ reasoningTokens: 5, cachedInputTokens: 7 });
    const plain = await make(provider, '').ask('hi');
    expect(plain.usage).not.toHaveProperty('reasoningTokens');
    // Anthropic always reports its cache reads (0 here); OpenAI's server sent no details
    if (provider === 'anthropic') expect(plain.usage.cachedInputTokens).toBe(0);
    else expect(plain.usage).not.toHaveProperty('cachedInputTokens');
  });
});

describe('Anthropic thinking', () => {
  it('reads thinking as a reasoning part with its signature, and streams reasoning chunks', async () => {
    const llm = make('anthropic', '~reply=thinking');
    const asked = await llm.ask('hi');
    expect(asked.content).toEqual([
      { type: 'reasoning', text: 'The user greets me warmly.', signature: 'sig-xyz' },
      { type: 'text', text: 'Hi there!' },
    ]);
    expect(asked.text).toBe('Hi there!');
    const { chunks, reply } = await streamed(llm);
    expect(reply.content).toEqual(asked.content);
    expect(joined(chunks, 'reasoning')).toBe('The user greets me warmly.');
    expect(joined(chunks, 'text')).toBe('Hi there!');
  });
});

describe('Anthropic redacted thinking', () => {
  it('reads it as reasoning with its data, on ask and stream, and sends it back unchanged in the next turn', async () => {
    const llm = make('anthropic', '~reply=redacted');
    const expected = [
      { type: 'reasoning', text: 'Weather first.', signature: 'sig-r' },
      { type: 'reasoning', text: '', redacted: 'RW5jcnlwdGVk' },
      { type: 'tool-call', id: 'toolu_r1', name: 'get_weather', input: { city: 'Paris' } },
    ];
    const asked = await llm.ask('Weather in Paris?', { tools });
    expect(asked.content).toEqual(expected);
    const { chunks, reply } = await streamed(llm, { tools });
    expect(reply.content).toEqual(expected);
    // Nothing readable to show: the only reasoning chunks are the thinking text's.
    expect(joined(chunks, 'reasoning')).toBe('Weather first.');
    // The conversation goes on with the tool's result: the assistant turn travels back as it came.
    const next = make('anthropic', '');
    await next.ask(
      [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: reply.content },
        {
          role: 'tool',
          content: [
            { type: 'tool-result', toolCallId: 'toolu_r1', name: 'get_weather', output: { celsius: 21 } },
          ],
        },
      ],
      { tools },
    );
    const hits = server.hits();
    const body = hits[hits.length - 1]!.body as { messages: { role: string; content: unknown }[] };
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Weather first.', signature: 'sig-r' },
        { type: 'redacted_thinking', data: 'RW5jcnlwdGVk' },
        { type: 'tool_use', id: 'toolu_r1', name: 'get_weather', input: { city: 'Paris' } },
      ],
    });
  });
});

describe('stopReason for every provider word', () => {
  const cases: [Name, string, string, Reply['stopReason']][] = [
    ['openai', 'stop', '', 'stop'],
    ['openai', 'length', '', 'length'],
    ['openai', 'tool_calls', ';reply=weather', 'tool-calls'],
    ['openai', 'function_call', ';reply=weather', 'tool-calls'],
    ['openai', 'content_filter', '', 'content-filter'],
    ['openai', 'eos_token', '', 'other'],
    ['anthropic', 'end_turn', '', 'stop'],
    ['anthropic', 'stop_sequence', '', 'stop'],
    ['anthropic', 'max_tokens', '', 'length'],
    ['anthropic', 'model_context_window_exceeded', '', 'length'],
    ['anthropic', 'tool_use', ';reply=weather', 'tool-calls'],
    ['anthropic', 'refusal', '', 'content-filter'],
    ['anthropic', 'pause_turn', '', 'other'],
    ['anthropic', 'something_new', '', 'other'],
  ];
  it.each(cases)('%s %s → %s… (ask and stream)', async (provider, word, more, expected) => {
    const llm = make(provider, `~finish=${word}${more}`);
    const asked = await llm.ask('hi', { tools });
    expect([asked.finishReason, asked.stopReason]).toEqual([word, expected]);
    const { reply } = await streamed(llm, { tools });
    expect([reply.finishReason, reply.stopReason]).toEqual([word, expected]);
  });
});
