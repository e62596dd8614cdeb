import {
  AnthropicLLM,
  type Message,
  OpenAILLM,
  type StreamChunk,
  UnsupportedRequestError,
} from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';

// A tool conversation through chains, on the wire: across providers, retries, fallbacks, capabilities.

const tools = [
  {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start({
    replies: {
      // An OpenAI-compatible server's id style (vLLM, Kimi) that Anthropic rejects.
      oddid: {
        toolCalls: [{ id: 'functions.get_weather:0', name: 'get_weather', input: { city: 'Paris' } }],
      },
      anthropiccall: { toolCalls: [{ id: 'toolu_01A', name: 'get_weather', input: { city: 'Oslo' } }] },
      done: { text: 'Paris 21 °C, Oslo 4 °C.' },
    },
  });
});
afterAll(() => server.close());
beforeEach(() => server.resetHits());

const openai = (model: string, options: ConstructorParameters<typeof OpenAILLM>[1] = {}): OpenAILLM =>
  new OpenAILLM(model, { apiKey: 'k', baseURL: server.openaiBaseURL, ...options });
const anthropic = (model: string): AnthropicLLM =>
  new AnthropicLLM(model, { apiKey: 'k', baseURL: server.anthropicBaseURL });

type Wire = { role: string; content?: unknown; tool_calls?: { id: string }[]; tool_call_id?: string };
type Block = { type: string; id?: string; tool_use_id?: string };

describe('a tool conversation across providers', () => {
  it('goes OpenAI → Anthropic → OpenAI on the wire, ids rewritten for Anthropic only', async () => {
    const conversation: Message[] = [{ role: 'user', content: 'Weather in Paris, then Oslo?' }];
    const first = await openai('gpt-4o~reply=oddid').ask(conversation, { tools });
    expect(first.toolCalls).toEqual([
      { id: 'functions.get_weather:0', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    conversation.push(
      { role: 'assistant', content: first.content },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'functions.get_weather:0',
            name: 'get_weather',
            output: '21 °C',
          },
        ],
      },
    );

    const second = await anthropic('claude-haiku-4-5~reply=anthropiccall').ask(conversation, { tools });
    const sent = server.hits()[1]!.body.messages as { role: string; content: Block[] }[];
    const callId = sent[1]!.content.find((b) => b.type === 'tool_use')!.id!;
    const resultId = sent[2]!.content.find((b) => b.type === 'tool_result')!.tool_use_id!;
    expect(callId).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(resultId).toBe(callId);
    expect(second.toolCalls).toEqual([{ id: 'toolu_01A', name: 'get_weather', input: { city: 'Oslo' } }]);
    conversation.push(
      { role: 'assistant', content: second.content },
      {
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: 'toolu_01A', name: 'get_weather', output: '4 °C' }],
      },
    );

    const third = await openai('gpt-4o~reply=done').ask(conversation, { tools });
    expect(third.text).toBe('Paris 21 °C, Oslo 4 °C.');
    const back = server.hits()[2]!.body.messages as Wire[];
    // OpenAI takes both ids as they are: the conversation's own ids, not Anthropic's rewrite.
    expect(back.map((m) => m.tool_calls?.[0]?.id ?? m.tool_call_id ?? m.role)).toEqual([
      'user',
      'functions.get_weather:0',
      'functions.get_weather:0',
      'toolu_01A',
      'toolu_01A',
    ]);
  });

  it('goes OpenAI → Anthropic → OpenAI by stream too, each finalReply() ready to append', async () => {
    const conversation: Message[] = [{ role: 'user', content: 'Weather in Paris, then Oslo?' }];
    const step = async (llm: OpenAILLM | AnthropicLLM, output: string): Promise<void> => {
      const reply = await llm.stream(conversation, { tools }).finalReply();
      conversation.push({ role: 'assistant', content: reply.content });
      for (const call of reply.toolCalls) {
        conversation.push({
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: call.id, name: call.name, output }],
        });
      }
    };
    await step(openai('gpt-4o~reply=oddid'), '21 °C');
    await step(anthropic('claude-haiku-4-5~reply=anthropiccall'), '4 °C');
    const final = await openai('gpt-4o~reply=done').stream(conversation, { tools }).finalReply();
    expect(final.text).toBe('Paris 21 °C, Oslo 4 °C.');
    const sent = server.hits()[1]!.body.messages as { role: string; content: Block[] }[];
    const rewritten = sent[1]!.content.find((b) => b.type === 'tool_use')!.id!;
    expect(rewritten).toMatch(/^functions_get_weather_0_[0-9a-f]{12}$/);
    expect(sent[2]!.content[0]).toMatchObject({
      type: 'tool_result',
      tool_use_id: rewritten,
      content: '21 °C',
    });
    const back = server.hits()[2]!.body.messages as Wire[];
    expect(back[1]!.tool_calls![0]!.id).toBe('functions.get_weather:0');
    expect(back[3]!.tool_calls![0]!.id).toBe('toolu_01A');
  });

  it('openai(503).withRetry(1).withFallbacks([anthropic]) with tools answers with Anthropic’s tool call', async () => {
    const chain = openai('gpt-4o~status=503')
      .withRetry({ maxRetries: 1, initialDelay: 1 })
      .withFallbacks([anthropic('claude-haiku-4-5~reply=anthropiccall')]);
    const reply = await chain.ask('Weather in Oslo?', { tools, toolChoice: 'required' });
    expect(reply.provider).toBe('anthropic');
    expect(reply.toolCalls).toEqual([{ id: 'toolu_01A', name: 'get_weather', input: { city: 'Oslo' } }]);
    expect(reply.stopReason).toBe('tool-calls');
    expect(reply.attempts.map((a) => `${a.provider}:${a.outcome}`)).toEqual([
      'openai:error',
      'openai:error',
      'anthropic:success',
    ]);
    const hits = server.hits();
    expect(hits.map((h) => h.provider)).toEqual(['openai', 'openai', 'anthropic']);
    expect(hits[2]!.body).toMatchObject({ tool_choice: { type: 'any' }, tools: [{ name: 'get_weather' }] });

    const stream = chain.stream('Weather in Oslo?', { tools });
    const chunks: StreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.filter((c) => c.type === 'tool-call')).toEqual([
      { type: 'tool-call', id: 'toolu_01A', name: 'get_weather', input: { city: 'Oslo' }, text: '' },
    ]);
    expect((await stream.finalReply()).toolCalls).toEqual(reply.toolCalls);
  });
});

describe('capabilities', () => {
  const image: Message[] = [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image', image: 'https://example.com/a.png' },
      ],
    },
  ];

  it('exposes the resolved capabilities, all true by default', () => {
    expect(openai('gpt-4o').capabilities).toEqual({
      tools: true,
      images: true,
      files: true,
      schema: true,
      reasoning: true,
    });
    expect(openai('llama3', { capabilities: { images: false, tools: false } }).capabilities).toEqual({
      tools: false,
      images: false,
      files: true,
      schema: true,
      reasoning: true,
    });
    expect(() => openai('llama3', { capabilities: { vision: false } as never })).toThrow(
      /unknown key "vision"/,
    );
  });

  it.each([
    ['images', { images: false }, image, {}],
    ['tools', { tools: false }, 'hi', { tools }],
    [
      'files',
      { files: false },
      [{ role: 'user', content: [{ type: 'file', data: 'JVBE', mediaType: 'application/pdf' }] }],
      {},
    ],
    ['schema', { schema: false }, 'hi', { choices: ['yes', 'no'] }],
    [
      'reasoning',
      { reasoning: false },
      [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'hmm', signature: 's' },
            { type: 'text', text: 'hello' },
          ],
        },
        { role: 'user', content: 'again' },
      ],
      {},
    ],
  ] as const)(
    'a request needing %s fails before any request with UnsupportedRequestError',
    async (missing, capabilities, input, options) => {
      const local = openai('llama3', { capabilities });
      const error = await local.ask(input as Message[], options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedRequestError);
      expect(error).toMatchObject({ kind: 'unsupported', missing: [missing], retryable: false });
      const streamed = await local
        .stream(input as Message[], options)
        .finalReply()
        .catch((e: unknown) => e);
      expect(streamed).toBeInstanceOf(UnsupportedRequestError);
      expect(server.hits()).toHaveLength(0);
    },
  );

  it('a fallback chain skips the member at once, with zero requests to it, ask and stream', async () => {
    const chain = openai('llama3', { capabilities: { images: false } })
      .withRetry({ maxRetries: 3, initialDelay: 60_000 }) // never waited: the error is not retried
      .withFallbacks([openai('gpt-4o')]);
    const started = performance.now();
    const reply = await chain.ask(image);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(reply.model).toBe('gpt-4o');
    expect(reply.attempts.map((a) => a.model)).toEqual(['gpt-4o']); // nothing was sent: no attempt
    const stream = chain.stream(image);
    let text = '';
    for await (const chunk of stream) text += chunk.text;
    expect(text).toBe((await stream.finalReply()).text);
    expect(server.hits().map((h) => h.model)).toEqual(['gpt-4o', 'gpt-4o']);
  });

  it('AnthropicLLM takes capabilities too: a request needing more fails before any request, ask and stream', async () => {
    const limited = new AnthropicLLM('claude-haiku-4-5', {
      apiKey: 'k',
      baseURL: server.anthropicBaseURL,
      capabilities: { tools: false },
    });
    expect(limited.capabilities.tools).toBe(false);
    await expect(limited.ask('hi', { tools })).rejects.toMatchObject({
      kind: 'unsupported',
      missing: ['tools'],
    });
    await expect(limited.stream('hi', { tools }).finalReply()).rejects.toMatchObject({ kind: 'unsupported' });
    const served = await limited
      .withFallbacks([openai('gpt-4o')])
      .stream('hi', { tools })
      .finalReply();
    expect(served.provider).toBe('openai');
    expect(server.hits().map((h) => h.provider)).toEqual(['openai']);
  });

  it('a provider’s constructor tools are default tools, and count as needing tools', async () => {
    const llm = openai('gpt-4o', { tools });
    await llm.ask('hi');
    expect(server.hits()[0]!.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather' } }],
    });
    const withCallTool = await llm.ask('hi', {
      tools: [{ name: 'get_time', parameters: { type: 'object' } }],
    });
    expect(withCallTool).toBeDefined();
    expect(
      (server.hits()[1]!.body.tools as { function: { name: string } }[]).map((t) => t.function.name),
    ).toEqual(['get_weather', 'get_time']);
    const noTools = openai('llama3', { tools, capabilities: { tools: false } });
    await expect(noTools.ask('hi')).rejects.toBeInstanceOf(UnsupportedRequestError);
  });
});

describe('a cached tool-call reply', () => {
  it('streams its tool-call chunks, with no request', async () => {
    const llm = anthropic('claude-haiku-4-5~reply=anthropiccall').withCache();
    const asked = await llm.ask('Weather in Oslo?', { tools });
    const stream = llm.stream('Weather in Oslo?', { tools });
    const chunks: StreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(server.hits()).toHaveLength(1);
    expect(chunks).toEqual([
      {
        type: 'tool-call-delta',
        id: 'toolu_01A',
        name: 'get_weather',
        inputDelta: '{"city":"Oslo"}',
        text: '',
      },
      { type: 'tool-call', id: 'toolu_01A', name: 'get_weather', input: { city: 'Oslo' }, text: '' },
    ]);
    const reply = await stream.finalReply();
    expect([reply.toolCalls, reply.content, reply.stopReason]).toEqual([
      asked.toolCalls,
      asked.content,
      asked.stopReason,
    ]);
  });
});
