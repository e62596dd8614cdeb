import { LLMock } from '@copilotkit/aimock';
import { AnthropicLLM, type LLM, OpenAILLM, OverloadedError, RateLimitError } from '../lib/index.js';

// A server nobody here wrote: our wire handling must agree with it, not only with our own fault server.
let mock: LLMock;
beforeAll(async () => {
  mock = new LLMock({ port: 0 });
  mock.onMessage('haiku', { content: 'Autumn moonlight, a worm digs silently into the chestnut.' });
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
});
