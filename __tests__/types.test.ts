import {
  AnthropicLLM,
  BackoffStrategy,
  type CallOptions,
  type LLM,
  type LLMMiddleware,
  type MiddlewareLLM,
  type RetryMiddleware,
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

  it('type-check the middleware contract', () => {
    const openai = new OpenAILLM('gpt-4o', { apiKey: 'k' });
    const upper: LLMMiddleware = {
      name: 'upper',
      transformRequest: (request) => ({
        ...request,
        messages: request.messages.map((m) => ({ ...m, content: m.content.toUpperCase() })),
      }),
      wrapAsk: (request, next, call) =>
        call.signal?.aborted ? Promise.reject(call.signal.reason) : next(request),
    };
    const layered: MiddlewareLLM<typeof upper> = openai.use(upper);
    const retried: MiddlewareLLM<RetryMiddleware> = layered.withRetry(2);
    const maxRetries: number = retried.middleware.config.maxRetries;

    const rejected = (): void => {
      // @ts-expect-error a middleware needs a name
      openai.use({ wrapAsk: (request, next) => next(request) });
      const frozen: LLMMiddleware = {
        name: 'mutating',
        transformRequest: (request) => {
          // @ts-expect-error the request is immutable
          request.messages.push({ role: 'user', content: 'more' });
          // @ts-expect-error signal and deadline live on the call, not in the request
          void request.options.signal;
          return request;
        },
        wrapAsk: (request, next, call) => {
          // @ts-expect-error the call's history is read-only to a layer
          call.attempts.push(call.attempts[0]!);
          return next(request);
        },
      };
      void frozen;
    };
    expect([layered.describe(), maxRetries, typeof rejected]).toEqual([
      'upper(openai:gpt-4o)',
      2,
      'function',
    ]);
  });
});
