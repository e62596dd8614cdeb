import Anthropic from '@anthropic-ai/sdk';
import {
  AnthropicLLM,
  FallbackError,
  LLMError,
  OpenAILLM,
  ProviderError,
  RetryError,
  type LLM,
} from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
afterAll(() => server.close());
beforeEach(() => server.resetHits());

const ENV = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'] as const;

/** Builds with none of the providers' environment variables set, as on a fresh machine. */
function withoutKeys<T>(build: () => T): T {
  const saved = ENV.map((name) => [name, process.env[name]] as const);
  for (const name of ENV) delete process.env[name];
  try {
    return build();
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

const keyless = {
  openai: () => withoutKeys(() => new OpenAILLM('gpt-4o', { baseURL: server.openaiBaseURL })),
  anthropic: () =>
    withoutKeys(() => new AnthropicLLM('claude-haiku-4-5', { baseURL: server.anthropicBaseURL })),
};

const envName = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' };
const className = { openai: 'OpenAILLM', anthropic: 'AnthropicLLM' };

/** How a call settled: its error, or `undefined` when it succeeded. */
async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe.each(['openai', 'anthropic'] as const)('%s without an API key', (provider) => {
  it('constructs, then each call rejects with an AuthenticationError naming `apiKey` and the variable', async () => {
    const llm = keyless[provider]();
    for (const call of [() => llm.ask('hi'), () => llm.stream('hi').finalReply()]) {
      const error = (await failure(call())) as LLMError;
      expect(error).toBeInstanceOf(LLMError);
      expect(error).toMatchObject({ name: 'AuthenticationError', kind: 'authentication', provider });
      expect(error.retryable).toBe(false);
      expect(error.message).toContain('`apiKey`');
      expect(error.message).toContain(envName[provider]);
      expect(error.message).toContain(className[provider]);
    }
    expect(server.hitCount()).toBe(0); // nothing was sent
  });

  it('takes the key from the environment variable, read at construction as the SDK would', async () => {
    process.env[envName[provider]] = 'from-env';
    try {
      const llm =
        provider === 'openai'
          ? new OpenAILLM('gpt-4o', { baseURL: server.openaiBaseURL })
          : new AnthropicLLM('claude-haiku-4-5', { baseURL: server.anthropicBaseURL });
      const reply = await llm.ask('hi');
      expect(reply.provider).toBe(provider);
    } finally {
      delete process.env[envName[provider]];
    }
  });
});

describe('a chain with one key missing', () => {
  it('falls back from an OpenAI outage to Anthropic, and a missing Anthropic key keeps the RetryError', async () => {
    const primary = new OpenAILLM('gpt-4o~status=503', { apiKey: 'k', baseURL: server.openaiBaseURL });
    const chain: LLM = primary
      .withRetry({ maxRetries: 1, initialDelay: 1 })
      .withFallbacks([keyless.anthropic()]);
    for (const call of [() => chain.ask('hi'), () => chain.stream('hi').finalReply()]) {
      const error = (await failure(call())) as FallbackError;
      expect(error).toBeInstanceOf(FallbackError);
      expect(error.errors).toHaveLength(2);
      expect(error.errors[0]).toBeInstanceOf(RetryError);
      expect(error.errors[1]).toMatchObject({ name: 'AuthenticationError', provider: 'anthropic' });
    }
    expect(server.hitCount('gpt-4o~status=503')).toBe(4); // 2 attempts each for ask and stream
  });

  it('falls back past a keyless OpenAILLM to an Anthropic model that has its key', async () => {
    const chain = keyless
      .openai()
      .withRetry({ maxRetries: 3, initialDelay: 1 })
      .withFallbacks([
        new AnthropicLLM('claude-haiku-4-5', { apiKey: 'k', baseURL: server.anthropicBaseURL }),
      ]);
    const reply = await chain.ask('hi');
    expect(reply.provider).toBe('anthropic');
    // Not retried: a missing key stays missing.
    expect(reply.attempts.map((a) => [a.provider, a.outcome])).toEqual([
      ['openai', 'error'],
      ['anthropic', 'success'],
    ]);
  });
});

describe('an unclassified failure of a provider call', () => {
  it("is a ProviderError (here the Anthropic SDK's own error for a client built without credentials)", async () => {
    const client = withoutKeys(
      () => new Anthropic({ apiKey: null, baseURL: server.anthropicBaseURL, maxRetries: 0 }),
    );
    const chain = new AnthropicLLM('claude-haiku-4-5', { client }).withFallbacks([
      new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: server.openaiBaseURL }),
    ]);
    const reply = await chain.ask('hi');
    expect(reply.provider).toBe('openai');
    const error = reply.attempts[0]?.error as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'provider_error', provider: 'anthropic', retryable: false });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('is a ProviderError for a base URL the SDK cannot use', async () => {
    const llm = new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: 'not a url' });
    const error = await failure(llm.ask('hi'));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ provider: 'openai', model: 'gpt-4o' });
  });
});
