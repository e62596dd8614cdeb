import { LLMock } from '@copilotkit/aimock';
import {
  AnthropicLLM,
  type LLM,
  type Message,
  OpenAILLM,
  OverloadedError,
  RateLimitError,
  type StreamChunk,
} from '../lib/index.js';

const tools = [
  {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

// A server nobody here wrote: our wire handling must agree with it, not only with our own fault server.
let mock: LLMock;
beforeAll(async () => {
  mock = new LLMock({ port: 0 });
  mock.onMessage('haiku', { content: 'Autumn moonlight, a worm digs silently into the chestnut.' });
  // A tool round trip: the result of the call answers; the question asks for the call.
  mock.onToolResult('call_weather_1', { content: 'It is 21 °C in Paris.' });
  mock.onMessage('riddle', { content: 'A shadow.', reasoning: 'It follows you but is not alive.' });
  mock.onMessage('weather', {
    toolCalls: [{ id: 'call_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
  });
  await mock.start();
});
afterAll(() => mock.stop());

const llms = (): Array<[string, LLM]> => [
  ['openai', new OpenAILLM('gpt-4o-mini', { apiKey: 'mock', baseURL: `${mock.url}/v1` })],
  ['anthropic', new AnthropicLLM('claude-haiku-4-5', { apiKey: 'mock', baseURL: mock.url })],
];

describe.each([0, 1])('against @copilotkit/aimock (%#)', (index) => {
  const pick = (): [string, LLM] => llms()[index]!;

  it('answers ask() with the text, the finish reason and usage', async () => {
    const [, llm] = pick();
    const reply = await llm.ask('Write a haiku');
    expect(reply.text).toBe('Autumn moonlight, a worm digs silently into the chestnut.');
    expect(['stop', 'end_turn']).toContain(reply.finishReason);
    expect(reply.attempts).toHaveLength(1);
  });

  it('streams the same text, complete, with a final reply', async () => {
    const [, llm] = pick();
    const stream = llm.stream('Write a haiku');
    let text = '';
    for await (const chunk of stream) text += chunk.text;
    const reply = await stream.finalReply();
    expect(text).toBe('Autumn moonlight, a worm digs silently into the chestnut.');
    expect(reply.text).toBe(text);
    expect(['stop', 'end_turn']).toContain(reply.finishReason);
  });

  it('classifies its errors and retries through them', async () => {
    const [, llm] = pick();
    mock.nextRequestError(503, { message: 'try later', type: 'server_error' });
    const reply = await llm.withRetry({ maxRetries: 2, initialDelay: 1 }).ask('Write a haiku');
    expect(reply.attempts.map((a) => a.outcome)).toEqual(['error', 'success']);
    expect(reply.attempts[0]!.error).toBeInstanceOf(OverloadedError);

    mock.nextRequestError(429, { message: 'slow down', type: 'rate_limit_error' });
    await expect(llm.ask('Write a haiku')).rejects.toBeInstanceOf(RateLimitError);
  });

  it('makes a tool round trip: the call, then the answer from its result, ask and stream', async () => {
    const [, llm] = pick();
    const question: Message = { role: 'user', content: 'What is the weather in Paris?' };
    const call = await llm.ask([question], { tools });
    expect(call.toolCalls).toEqual([{ id: 'call_weather_1', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(call.stopReason).toBe('tool-calls');

    const stream = llm.stream([question], { tools });
    const chunks: StreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.filter((c) => c.type === 'tool-call')).toEqual([
      { type: 'tool-call', id: 'call_weather_1', name: 'get_weather', input: { city: 'Paris' }, text: '' },
    ]);
    expect((await stream.finalReply()).toolCalls).toEqual(call.toolCalls);

    const answer = await llm.ask(
      [
        question,
        { role: 'assistant', content: call.content },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: 'call_weather_1',
              name: 'get_weather',
              output: { celsius: 21 },
            },
          ],
        },
      ],
      { tools },
    );
    expect(answer.text).toBe('It is 21 °C in Paris.');
    expect(answer.stopReason).toBe('stop');
    expect(answer.toolCalls).toEqual([]);
  });

  it('reads the reasoning it sends (OpenAI-compatible reasoning_content, Anthropic thinking), ask and stream', async () => {
    const [, llm] = pick();
    const asked = await llm.ask('A riddle');
    expect(asked.text).toBe('A shadow.');
    expect(asked.content[0]).toMatchObject({ type: 'reasoning', text: 'It follows you but is not alive.' });
    const stream = llm.stream('A riddle');
    let reasoning = '';
    let text = '';
    for await (const chunk of stream) {
      if (chunk.type === 'reasoning') reasoning += chunk.text;
      else text += chunk.text;
    }
    expect([reasoning, text]).toEqual(['It follows you but is not alive.', 'A shadow.']);
    expect((await stream.finalReply()).content).toEqual(asked.content);
  });
});
