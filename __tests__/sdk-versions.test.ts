import { AnthropicLLM, type LLMError, OpenAILLM } from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';

// Which SDK majors this run drives: `npm test` the highest supported, `npm run test:sdk-lowest`
// (SDK_OPENAI=6 SDK_ANTHROPIC=0, see jest.config.js) the lowest. The providers load their SDK
// lazily; these tests prove the copy they load is the one this run is meant to exercise.
const expected = {
  openai: process.env.SDK_OPENAI === '6' ? 6 : 7,
  anthropic: process.env.SDK_ANTHROPIC === '0' ? 0 : 1,
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const openaiVersion = (require('openai/version') as { VERSION: string }).VERSION;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const anthropicVersion = (require('@anthropic-ai/sdk/version') as { VERSION: string }).VERSION;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { APIError: OpenAIAPIError } = require('openai') as typeof import('openai');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { APIError: AnthropicAPIError } = require('@anthropic-ai/sdk') as typeof import('@anthropic-ai/sdk');

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
  console.log(`SDKs under test: openai ${openaiVersion}, @anthropic-ai/sdk ${anthropicVersion}`);
});
afterAll(() => server.close());

const major = (version: string): number => Number(version.split('.')[0]);

describe('the SDK majors of this run', () => {
  it('loads the intended openai major', () => {
    expect(major(openaiVersion)).toBe(expected.openai);
  });

  it('loads the intended @anthropic-ai/sdk major', () => {
    expect(major(anthropicVersion)).toBe(expected.anthropic);
  });

  it('OpenAILLM talks through that very SDK: its errors are that copy’s APIError, classified', async () => {
    const llm = new OpenAILLM('gpt-4o~status=429;retry_after_ms=1500', {
      apiKey: 'k',
      baseURL: server.openaiBaseURL,
    });
    const error = (await llm.ask('hi').catch((e: unknown) => e)) as LLMError;
    expect(error).toMatchObject({ name: 'RateLimitError', status: 429, retryAfterMs: 1500 });
    expect(error.cause).toBeInstanceOf(OpenAIAPIError);
    const reply = await new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: server.openaiBaseURL })
      .stream('hi')
      .finalReply();
    expect(reply.text).toBe('Hello from gpt-4o.');
  });

  it('AnthropicLLM talks through that very SDK, and reads the error type in-stream and in the body', async () => {
    const overloaded = new AnthropicLLM('claude-haiku-4-5~status=529', {
      apiKey: 'k',
      baseURL: server.anthropicBaseURL,
    });
    const error = (await overloaded.ask('hi').catch((e: unknown) => e)) as LLMError;
    expect(error).toMatchObject({ name: 'OverloadedError', status: 529 });
    expect(error.cause).toBeInstanceOf(AnthropicAPIError);
    const quota = new AnthropicLLM('claude-haiku-4-5~error=insufficient_quota', {
      apiKey: 'k',
      baseURL: server.anthropicBaseURL,
    });
    expect(await quota.ask('hi').catch((e: unknown) => e)).toMatchObject({ name: 'QuotaExceededError' });
    const reply = await new AnthropicLLM('claude-haiku-4-5', {
      apiKey: 'k',
      baseURL: server.anthropicBaseURL,
    })
      .stream('hi')
      .finalReply();
    expect(reply.text).toBe('Hello from claude-haiku-4-5.');
  });
});
