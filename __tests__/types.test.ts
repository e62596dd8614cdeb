import {
  AnthropicLLM,
  BackoffStrategy,
  type CallOptions,
  type LLM,
  OpenAILLM,
  type Reply,
  type RetryConfig,
  type StreamChunk,
} from '../lib/index.js';

// Type-level checks: `npm run typecheck` fails if a `@ts-expect-error` line stops being an error.
describe('public types', () => {
  it('type-check the documented shapes', () => {
    const openai = new OpenAILLM('gpt-4o', { apiKey: 'k', timeout: 30_000 });
    const chain: LLM = openai
      .withRetry({ maxRetries: 3, backoffStrategy: BackoffStrategy.JITTER })
      .withFallbacks([new AnthropicLLM('claude-haiku-4-5', { apiKey: 'k' })]);
    // Never called (a call would go to api.openai.com): the type checker is the test here.
    const reply = (): Promise<Reply> =>
      chain.ask('hi', { temperature: 0.2, maxTokens: 10, system: 'be brief' });
    const chunk: StreamChunk = { type: 'reset', text: '' };
    const config: RetryConfig = { backoffStrategy: 'linear', retryOn: [TypeError, 'rate limit', /quota/i] };
    const options: CallOptions = { deadline: 1000, signal: AbortSignal.timeout(1000) };

    // Never called: these lines exist for the type checker, which must reject each one.
    const rejected = (): void => {
      // @ts-expect-error an unknown strategy is not a BackoffStrategy
      openai.withRetry({ backoffStrategy: 'fibonacci' });
      // @ts-expect-error retryOn takes classes, strings and RegExps, not numbers
      openai.withRetry({ retryOn: [429] });
      // @ts-expect-error withFallbacks takes LLMs, not model names
      openai.withFallbacks(['gpt-4o-mini']);
      // @ts-expect-error a reset chunk carries no text
      const bad: StreamChunk = { type: 'reset', text: 'x' };
      // @ts-expect-error LLMs are immutable
      openai.model = 'gpt-5';
      void bad;
    };

    expect([chunk.type, config.backoffStrategy, options.deadline, typeof rejected, typeof reply]).toEqual([
      'reset',
      'linear',
      1000,
      'function',
      'function',
    ]);
  });
});
