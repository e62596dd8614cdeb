import { z } from 'zod';
import { AnthropicLLM, type CallOptions, type Message, OpenAILLM } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';

// The request bodies the real SDKs put on the wire, as the fault server recorded them.

const png = new Uint8Array([137, 80, 78, 71]);
const pdf = Buffer.from('%PDF-1.4 test').toString('base64');

/** Every part type, tool calls with an id Anthropic rejects, results in two tool turns, then the user. */
const conversation: Message[] = [
  { role: 'system', content: 'Be brief.' },
  {
    role: 'user',
    content: [
      { type: 'text', text: 'What is in these?' },
      { type: 'image', image: 'https://example.com/cat.png' },
      { type: 'image', image: 'data:image/jpeg;base64,/9j/AA==' },
      { type: 'image', image: png, mediaType: 'image/png' },
      { type: 'file', data: pdf, mediaType: 'application/pdf', filename: 'report.pdf' },
    ],
  },
  {
    role: 'assistant',
    content: [
      { type: 'reasoning', text: 'Need the weather.', signature: 'sig-1' },
      { type: 'reasoning', text: '', redacted: 'EncryptedReasoning==' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool-call', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool-call', id: 'functions.get_time:1', name: 'get_time', input: {} },
    ],
  },
  {
    role: 'tool',
    content: [{ type: 'tool-result', toolCallId: 'call_1', name: 'get_weather', output: { celsius: 21 } }],
  },
  {
    role: 'tool',
    content: [
      {
        type: 'tool-result',
        toolCallId: 'functions.get_time:1',
        name: 'get_time',
        output: 'boom',
        isError: true,
      },
    ],
  },
  { role: 'user', content: 'Thanks. And tomorrow?' },
];

const weatherParameters = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
  additionalProperties: false,
};
const tools: CallOptions['tools'] = [
  { name: 'get_weather', description: 'Weather in a city', parameters: weatherParameters },
  { name: 'get_time', parameters: z.object({ zone: z.string().optional() }) },
];

let server: FaultServer;
let openai: OpenAILLM;
let anthropic: AnthropicLLM;

beforeAll(async () => {
  server = await FaultServer.start({ replies: { answer: { json: { city: 'Oslo', celsius: 4 } } } });
  openai = new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: server.openaiBaseURL });
  anthropic = new AnthropicLLM('claude-haiku-4-5', { apiKey: 'k', baseURL: server.anthropicBaseURL });
});
afterAll(() => server.close());
beforeEach(() => server.resetHits());

const lastBody = (): Record<string, unknown> => {
  const hits = server.hits();
  return hits[hits.length - 1]!.body as Record<string, unknown>;
};

describe('OpenAI request bodies', () => {
  it('translates every part type, tool calls and tool results', async () => {
    await openai.ask(conversation, { tools });
    const body = lastBody();
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/AA==' } },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw==' } },
          { type: 'file', file: { file_data: `data:application/pdf;base64,${pdf}`, filename: 'report.pdf' } },
        ],
      },
      {
        // reasoning (redacted or not) has no place in chat completions: left out
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          // OpenAI takes any id of up to 40 characters: kept as it is
          { id: 'functions.get_time:1', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"celsius":21}' },
      { role: 'tool', tool_call_id: 'functions.get_time:1', content: 'boom' },
      { role: 'user', content: 'Thanks. And tomorrow?' },
    ]);
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather in a city',
          parameters: weatherParameters,
          strict: true,
        },
      },
      {
        // an optional field: not strict-compatible, sent without `strict`
        type: 'function',
        function: { name: 'get_time', parameters: expect.objectContaining({ type: 'object' }) },
      },
    ]);
    expect(
      (body.tools as { function: { parameters: { properties: object } } }[])[1]!.function.parameters
        .properties,
    ).toEqual({
      zone: { type: 'string' },
    });
  });

  it('rewrites an id longer than 40 characters, in the call and its result alike', async () => {
    const long = `call_${'x'.repeat(40)}`;
    await openai.ask(
      [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [{ type: 'tool-call', id: long, name: 'get_weather', input: { city: 'Rome' } }],
        },
        {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: long, name: 'get_weather', output: 'sunny' }],
        },
      ],
      { tools },
    );
    const messages = lastBody().messages as { tool_calls?: { id: string }[]; tool_call_id?: string }[];
    const id = messages[1]!.tool_calls![0]!.id;
    expect(id.length).toBeLessThanOrEqual(40);
    expect(id).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(messages[2]!.tool_call_id).toBe(id);
  });

  it.each([
    ['auto', 'auto'],
    ['none', 'none'],
    ['required', 'required'],
    [{ name: 'get_weather' }, { type: 'function', function: { name: 'get_weather' } }],
  ] as const)('sends toolChoice %j as %j, with the tools', async (toolChoice, wire) => {
    await openai.ask('hi', { tools, toolChoice });
    const body = lastBody();
    expect(body.tool_choice).toEqual(wire);
    expect(body.tools).toHaveLength(2); // 'none' still sends them
  });

  it('sends a schema as response_format json_schema, strict when it allows', async () => {
    const reply = await new OpenAILLM('gpt-4o~reply=answer', {
      apiKey: 'k',
      baseURL: server.openaiBaseURL,
    }).ask('Weather in Oslo?', { schema: z.object({ city: z.string(), celsius: z.number() }) });
    expect(lastBody().response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'response',
        schema: {
          type: 'object',
          properties: { city: { type: 'string' }, celsius: { type: 'number' } },
          required: ['city', 'celsius'],
          additionalProperties: false,
        },
        strict: true,
      },
    });
    expect(reply).toMatchObject({ object: { city: 'Oslo', celsius: 4 }, stopReason: 'stop', toolCalls: [] });
  });

  it('merges providerOptions.openai (constructor, then call) into the body, and nothing of anthropic', async () => {
    const llm = new OpenAILLM('gpt-4o', {
      apiKey: 'k',
      baseURL: server.openaiBaseURL,
      providerOptions: { openai: { seed: 1, user: 'u-1' } },
    });
    await llm.ask('hi', {
      providerOptions: { openai: { seed: 7, parallel_tool_calls: false }, anthropic: { top_k: 5 } },
      tools,
    });
    const body = lastBody();
    expect(body).toMatchObject({ seed: 7, user: 'u-1', parallel_tool_calls: false });
    expect(body).not.toHaveProperty('top_k');
  });
});

describe('Anthropic request bodies', () => {
  it('translates every part type, thinking, tool_use, and merges the results with the next user turn', async () => {
    await anthropic.ask(conversation, { tools });
    const body = lastBody();
    expect(body.system).toBe('Be brief.');
    const messages = body.messages as {
      role: string;
      content: { type: string; id?: string; tool_use_id?: string }[];
    }[];
    const rewritten = messages[1]!.content[4]!.id!;
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/AA==' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw==' } },
          {
            type: 'document',
            source: { type: 'base64', media_type: 'application/pdf', data: pdf },
            title: 'report.pdf',
          },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Need the weather.', signature: 'sig-1' },
          { type: 'redacted_thinking', data: 'EncryptedReasoning==' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: rewritten, name: 'get_time', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '{"celsius":21}' },
          { type: 'tool_result', tool_use_id: rewritten, content: 'boom', is_error: true },
          { type: 'text', text: 'Thanks. And tomorrow?' },
        ],
      },
    ]);
    // Rewritten: Anthropic's alphabet, deterministic, distinct from a look-alike id
    expect(rewritten).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(rewritten).not.toBe('functions.get_time:1');
    await anthropic.ask(conversation, { tools });
    expect((lastBody().messages as typeof messages)[1]!.content[4]!.id).toBe(rewritten);
    const lookAlike = conversation.map((m) =>
      m.role === 'assistant' || m.role === 'tool'
        ? (JSON.parse(
            JSON.stringify(m).replaceAll('functions.get_time:1', 'functions.get_time;1'),
          ) as Message)
        : m,
    );
    await anthropic.ask(lookAlike, { tools });
    expect((lastBody().messages as typeof messages)[1]!.content[4]!.id).not.toBe(rewritten);
  });

  it('sends tools with input_schema', async () => {
    await anthropic.ask('hi', { tools });
    expect(lastBody().tools).toEqual([
      { name: 'get_weather', description: 'Weather in a city', input_schema: weatherParameters },
      {
        name: 'get_time',
        input_schema: expect.objectContaining({ type: 'object', properties: { zone: { type: 'string' } } }),
      },
    ]);
  });

  it.each([
    ['auto', { type: 'auto' }],
    ['none', { type: 'none' }],
    ['required', { type: 'any' }],
    [{ name: 'get_weather' }, { type: 'tool', name: 'get_weather' }],
  ] as const)('sends toolChoice %j as %j, with the tools', async (toolChoice, wire) => {
    await anthropic.ask('hi', { tools, toolChoice });
    const body = lastBody();
    expect(body.tool_choice).toEqual(wire);
    expect(body.tools).toHaveLength(2); // 'none' still sends them
  });

  it('asks for a schema through one forced answer tool, and reads its input as the object', async () => {
    const schema = { name: 'weather', schema: weatherParameters };
    const reply = await new AnthropicLLM('claude-haiku-4-5~reply=answer', {
      apiKey: 'k',
      baseURL: server.anthropicBaseURL,
    }).ask('Weather in Oslo?', { schema });
    const body = lastBody();
    expect(body.tools).toEqual([
      { name: 'weather', description: expect.any(String), input_schema: weatherParameters },
    ]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'weather' });
    expect(reply).toMatchObject({
      object: { city: 'Oslo', celsius: 4 },
      text: '{"city":"Oslo","celsius":4}',
      toolCalls: [],
      stopReason: 'stop',
      finishReason: 'tool_use',
    });
  });

  it('merges providerOptions.anthropic into the body, and nothing of openai', async () => {
    await anthropic.ask('hi', {
      providerOptions: { openai: { seed: 7 }, anthropic: { top_k: 5, metadata: { user_id: 'u-1' } } },
    });
    const body = lastBody();
    expect(body).toMatchObject({ top_k: 5, metadata: { user_id: 'u-1' } });
    expect(body).not.toHaveProperty('seed');
  });
});

describe('providerOptions across a fallback (issue 10 item 3)', () => {
  it('the fallback to the other provider never receives the first one’s fields', async () => {
    const primary = new OpenAILLM('gpt-4o~status=503', { apiKey: 'k', baseURL: server.openaiBaseURL });
    const chain = primary.withFallbacks([anthropic]);
    const reply = await chain.ask('hi', {
      providerOptions: { openai: { seed: 7, logprobs: true }, anthropic: { top_k: 3 } },
    });
    expect(reply.provider).toBe('anthropic');
    const [first, second] = server.hits();
    expect(first!.body).toMatchObject({ seed: 7, logprobs: true });
    expect(first!.body).not.toHaveProperty('top_k');
    expect(second!.body).toMatchObject({ top_k: 3 });
    expect(second!.body).not.toHaveProperty('seed');
    expect(second!.body).not.toHaveProperty('logprobs');
  });
});

describe('stream() sends the same translation as ask()', () => {
  it.each([
    ['openai', (): OpenAILLM | AnthropicLLM => openai, ['stream', 'stream_options']],
    ['anthropic', (): OpenAILLM | AnthropicLLM => anthropic, ['stream']],
  ] as const)(
    '%s: every part, tools, toolChoice, schema and providerOptions',
    async (_name, llm, streamKeys) => {
      const options: CallOptions = {
        tools,
        toolChoice: 'required',
        schema: { name: 'weather', schema: weatherParameters },
        providerOptions: { openai: { seed: 7 }, anthropic: { top_k: 5 } },
      };
      await llm()
        .ask(conversation, options)
        .catch(() => {}); // the default greeting is not JSON: only the request matters here
      await llm()
        .stream(conversation, options)
        .finalReply()
        .catch(() => {});
      const [asked, streamed] = server.hits().map((h) => ({ ...h.body }) as Record<string, unknown>);
      for (const key of streamKeys) delete streamed![key];
      delete asked!.stream;
      expect(streamed).toEqual(asked);
      expect(Object.keys(asked!)).toEqual(expect.arrayContaining(['messages', 'tools', 'tool_choice']));
    },
  );
});

describe('what a provider cannot take', () => {
  it('Anthropic reads a text/plain file as a text document', async () => {
    const data = Buffer.from('Line one.\nLine two.').toString('base64');
    await anthropic.ask([
      { role: 'user', content: [{ type: 'file', data, mediaType: 'text/plain', filename: 'notes.txt' }] },
    ]);
    expect((lastBody().messages as { content: unknown[] }[])[0]!.content).toEqual([
      {
        type: 'document',
        source: { type: 'text', media_type: 'text/plain', data: 'Line one.\nLine two.' },
        title: 'notes.txt',
      },
    ]);
  });

  it('a file or image type the provider cannot read is an UnsupportedRequestError, and the fallback serves', async () => {
    const csv: Message[] = [
      { role: 'user', content: [{ type: 'file', data: 'YSxi', mediaType: 'text/csv' }] },
    ];
    await expect(openai.ask(csv)).rejects.toMatchObject({ kind: 'unsupported', missing: ['files'] });
    const bmp: Message[] = [
      { role: 'user', content: [{ type: 'image', image: new Uint8Array([66, 77]), mediaType: 'image/bmp' }] },
    ];
    await expect(anthropic.ask(bmp)).rejects.toMatchObject({ kind: 'unsupported', missing: ['images'] });
    expect(server.hits()).toHaveLength(0);
    const reply = await anthropic.withFallbacks([openai]).ask(bmp);
    expect(reply.provider).toBe('openai');
    expect(server.hits()).toHaveLength(1);
  });

  it('a toolChoice naming no tool, or a schema named like a tool, is a TypeError before any request', async () => {
    await expect(openai.ask('hi', { tools, toolChoice: { name: 'nope' } })).rejects.toThrow(
      /`toolChoice` names the tool "nope", which is not among the tools/,
    );
    await expect(
      anthropic.ask('hi', { tools, schema: { name: 'get_weather', schema: weatherParameters } }),
    ).rejects.toThrow(/"get_weather" is also a tool's name/);
    expect(server.hits()).toHaveLength(0);
  });

  it('Anthropic: an assistant turn with nothing it can take (unsigned reasoning) is left out, and the user turns merge', async () => {
    await anthropic.ask([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: [{ type: 'reasoning', text: 'from another provider' }] },
      { role: 'user', content: 'again' },
    ]);
    expect(lastBody().messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'hi' },
          { type: 'text', text: 'again' },
        ],
      },
    ]);
  });
});
