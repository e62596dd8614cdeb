import AnthropicV0 from 'anthropic-sdk-v0';
import OpenAIV6 from 'openai-v6';
import { AnthropicLLM, type LLM, OpenAILLM, type StreamChunk } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';

// The content translation over the older supported SDK lines (openai 6, @anthropic-ai/sdk 0.71),
// given as ready clients: the same tool calls, reasoning and structured answers as with the current ones.

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start({
    replies: {
      weather: {
        reasoning: { text: 'Check the weather.', signature: 'sig-1' },
        text: 'Let me check.',
        toolCalls: [{ id: 'call_a', name: 'get_weather', input: { city: 'Paris' } }],
      },
      answer: { json: { city: 'Oslo', celsius: 4 } },
    },
  });
});
afterAll(() => server.close());

const tools = [
  { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
];
const schema = {
  name: 'forecast',
  schema: {
    type: 'object',
    properties: { city: { type: 'string' }, celsius: { type: 'number' } },
    required: ['city', 'celsius'],
    additionalProperties: false,
  },
};

const llms = (model: string): [string, LLM][] => [
  [
    'openai 6',
    new OpenAILLM(`gpt-4o${model}`, {
      client: new OpenAIV6({ apiKey: 'k', baseURL: server.openaiBaseURL, maxRetries: 0 }) as never,
    }),
  ],
  [
    '@anthropic-ai/sdk 0.71',
    new AnthropicLLM(`claude-haiku-4-5${model}`, {
      client: new AnthropicV0({ apiKey: 'k', baseURL: server.anthropicBaseURL, maxRetries: 0 }) as never,
    }),
  ],
];

describe.each([0, 1])('older SDK line (%#)', (index) => {
  it('reads tool calls, ask and stream', async () => {
    const [, llm] = llms('~reply=weather')[index]!;
    const asked = await llm.ask('Weather in Paris?', { tools });
    expect(asked.toolCalls).toEqual([{ id: 'call_a', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(asked.stopReason).toBe('tool-calls');
    const stream = llm.stream('Weather in Paris?', { tools });
    const chunks: StreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const final = await stream.finalReply();
    expect([final.content, final.toolCalls, final.stopReason]).toEqual([
      asked.content,
      asked.toolCalls,
      asked.stopReason,
    ]);
    expect(chunks.filter((c) => c.type === 'tool-call')).toHaveLength(1);
  });

  it('reads a structured answer into object', async () => {
    const [, llm] = llms('~reply=answer')[index]!;
    expect((await llm.ask('Weather in Oslo?', { schema })).object).toEqual({ city: 'Oslo', celsius: 4 });
    expect((await llm.stream('Weather in Oslo?', { schema }).finalReply()).object).toEqual({
      city: 'Oslo',
      celsius: 4,
    });
  });
});
