import { AnthropicLLM, DEFAULT_ANTHROPIC_MAX_TOKENS, OpenAILLM } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
afterAll(() => server.close());

/** A fetch that records each request body the real SDK serialised, then sends it on. */
function recording(): { fetch: typeof fetch; bodies: Array<Record<string, unknown>> } {
  const bodies: Array<Record<string, unknown>> = [];
  const wrapped: typeof fetch = async (input, init) => {
    if (typeof init?.body === 'string') bodies.push(JSON.parse(init.body) as Record<string, unknown>);
    return fetch(input, init);
  };
  return { fetch: wrapped, bodies };
}

describe('OpenAILLM', () => {
  it('sends the system prompt, defaults and call options the chat-completions way, with no SDK retries', async () => {
    const { fetch, bodies } = recording();
    const llm = new OpenAILLM('gpt-4o-mini', {
      apiKey: 'k',
      baseURL: server.openaiBaseURL,
      fetch,
      system: 'be brief',
      temperature: 0.1,
    });
    await llm.ask([{ role: 'user', content: 'hi' }], { maxTokens: 50, extra: { top_p: 0.5 } });
    expect(bodies[0]).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ],
      temperature: 0.1,
      max_completion_tokens: 50,
      top_p: 0.5,
      stream: false,
    });
    await llm.stream('hi', { system: 'override', temperature: 0 }).finalReply();
    expect(bodies[1]).toMatchObject({
      messages: [
        { role: 'system', content: 'override' },
        { role: 'user', content: 'hi' },
      ],
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('is frozen, and describes itself without secrets', () => {
    const llm = new OpenAILLM('gpt-4o', { apiKey: 'sk-abc' });
    expect(Object.isFrozen(llm)).toBe(true);
    expect(llm.describe()).toBe('openai:gpt-4o');
    expect(llm.provider).toBe('openai');
  });
});

describe('AnthropicLLM', () => {
  it('moves system messages to `system`, and defaults max_tokens', async () => {
    const { fetch, bodies } = recording();
    const llm = new AnthropicLLM('claude-haiku-4-5', {
      apiKey: 'k',
      baseURL: server.anthropicBaseURL,
      fetch,
    });
    await llm.ask([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello' },
      { role: 'user', content: 'again' },
    ]);
    expect(bodies[0]).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: DEFAULT_ANTHROPIC_MAX_TOKENS,
      system: 'You are terse.',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'again' },
      ],
      stream: false,
    });
  });
});

describe.each([
  ['OpenAILLM', (model: string, o: object) => new OpenAILLM(model, { apiKey: 'k', ...o })],
  ['AnthropicLLM', (model: string, o: object) => new AnthropicLLM(model, { apiKey: 'k', ...o })],
])('%s construction', (_name, make) => {
  it.each([
    [{ timeout: -1 }, '`timeout` must be a finite number of milliseconds ≥ 0, got -1'],
    [{ idleTimeout: Infinity }, '`idleTimeout`'],
    [{ firstChunkTimeout: '5s' }, '`firstChunkTimeout` must be a number of milliseconds, got "5s"'],
    [{ temperature: -0.5 }, '`temperature` must be a finite number ≥ 0, got -0.5'],
    [{ maxTokens: 0 }, '`maxTokens`'],
    [{ system: 42 }, '`system` must be a string'],
  ])('rejects %p, naming the option', (options, message) => {
    expect(() => make('m', options)).toThrow(message);
  });

  it('rejects an empty model name', () => {
    expect(() => make('', {})).toThrow('`model` must be a non-empty string, got ""');
  });
});
