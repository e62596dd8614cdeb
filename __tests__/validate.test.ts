import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import {
  AnthropicLLM,
  CircuitBreaker,
  type LLM,
  OpenAILLM,
  RateLimiter,
  RedisCacheStore,
  RedisStateStore,
  ResponseCache,
  Telemetry,
} from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { closest, editDistance } from '../lib/validate.js';

let server: FaultServer;
let llm: LLM;
beforeAll(async () => {
  server = await FaultServer.start();
  llm = new OpenAILLM('gpt-4o-mini', { apiKey: 'test-key', baseURL: server.openaiBaseURL });
});
afterAll(() => server.close());
beforeEach(() => server.resetHits());

/** Calls `build` (which must throw at once) and returns the error, typed loosely (jest runs in a VM realm). */
function thrown(build: () => unknown): { name: string; message: string } {
  try {
    build();
  } catch (error) {
    return error as { name: string; message: string };
  }
  throw new Error('expected a throw, got none');
}

const backup = (): LLM => new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: 'http://127.0.0.1:9' });
const redisLike = { status: 'ready', evalsha: async () => [], eval: async () => [] };

describe('editDistance / closest', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
    expect(editDistance('initaldelay', 'initialdelay')).toBe(1);
    expect(editDistance('timeuot', 'timeout')).toBe(1);
    expect(editDistance('maxretries', 'maxretry')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', 'abc')).toBe(0);
  });

  it('suggests only a name near enough to be a typo, ignoring case', () => {
    expect(closest('apikey', ['apiKey', 'baseURL'])).toBe('apiKey');
    expect(closest('max_tokens', ['maxTokens', 'temperature'])).toBe('maxTokens');
    expect(closest('top_p', ['maxTokens', 'temperature', 'system'])).toBeUndefined();
  });
});

describe('unknown option keys', () => {
  // Every options object of the public API: where it is built, the misspelt key, the name it suggests.
  const cases: Array<[string, () => unknown, string, string]> = [
    ['withRetry', () => llm.withRetry({ initalDelay: 10 } as never), 'initalDelay', 'initialDelay'],
    [
      'withFallbacks',
      () => llm.withFallbacks([backup()], { onFalback: () => {} } as never),
      'onFalback',
      'onFallback',
    ],
    [
      'CircuitBreaker',
      () => new CircuitBreaker({ failureTreshold: 3 } as never),
      'failureTreshold',
      'failureThreshold',
    ],
    [
      'withCircuitBreaker',
      () => llm.withCircuitBreaker({ recoveryTimout: 5 } as never),
      'recoveryTimout',
      'recoveryTimeout',
    ],
    [
      'RateLimiter',
      () => new RateLimiter({ requestPerMinute: 5 } as never),
      'requestPerMinute',
      'requestsPerMinute',
    ],
    [
      'withRateLimit',
      () => llm.withRateLimit({ requestsPerMinute: 5, maxwait: 1 } as never),
      'maxwait',
      'maxWait',
    ],
    ['ResponseCache', () => new ResponseCache({ maxEntry: 5 } as never), 'maxEntry', 'maxEntries'],
    ['withCache', () => llm.withCache({ tll: 5 } as never), 'tll', 'ttl'],
    ['Telemetry', () => new Telemetry({ tracng: true } as never), 'tracng', 'tracing'],
    [
      'OpenAILLM',
      () => new OpenAILLM('m', { apiKey: 'k', basURL: 'http://x' } as never),
      'basURL',
      'baseURL',
    ],
    [
      'AnthropicLLM',
      () => new AnthropicLLM('m', { apiKey: 'k', max_tokens: 5 } as never),
      'max_tokens',
      'maxTokens',
    ],
    [
      'RedisStateStore',
      () => new RedisStateStore({ client: redisLike, timout: 50 } as never),
      'timout',
      'timeout',
    ],
    ['explain', () => llm.explain({ deadLine: 5 } as never), 'deadLine', 'deadline'],
    [
      'RedisCacheStore',
      () => new RedisCacheStore({ client: redisLike, prefx: 'x' } as never),
      'prefx',
      'prefix',
    ],
    [
      'stream() call options',
      () => llm.stream('hi', { temprature: 0 } as never),
      'temprature',
      'temperature',
    ],
  ];

  it.each(cases)('%s: names the misspelt key and the option it meant', (_where, build, key, meant) => {
    const error = thrown(build);
    expect(error.name).toBe('TypeError');
    expect(error.message).toContain(`Unknown option \`${key}\``);
    expect(error.message).toContain(`did you mean \`${meant}\`?`);
  });

  it('ask(): rejects a misspelt call option before any request', async () => {
    await expect(llm.ask('hi', { deadLine: 1000 } as never)).rejects.toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('Unknown option `deadLine` in call options; did you mean `deadline`?'),
    });
    expect(server.hitCount()).toBe(0);
  });

  it('ask(): a provider field among the call options points to providerOptions', async () => {
    await expect(llm.ask('hi', { top_p: 0.9 } as never)).rejects.toMatchObject({
      name: 'TypeError',
      message: expect.stringMatching(/Unknown option `top_p` in call options; it takes .*`providerOptions`/),
    });
    expect(server.hitCount()).toBe(0);
  });

  it('RateLimiter.acquire() and healthCheck() check their options too', async () => {
    const limiter = new RateLimiter({ requestsPerMinute: 5 });
    expect(() => limiter.acquire(0, { maxwait: 5 } as never)).toThrow(/did you mean `maxWait`\?/);
    await expect(llm.healthCheck({ timout: 5 } as never)).rejects.toThrow(/did you mean `timeout`\?/);
  });

  it('call.via() checks its options too', async () => {
    const other = new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: server.openaiBaseURL });
    const router = llm.use({
      name: 'router',
      wrapAsk: (request, _next, call) => call.via(other, { sginal: undefined } as never).ask(request),
    });
    await expect(router.ask('hi')).rejects.toThrow(
      'Unknown option `sginal` in `call.via` options; did you mean `signal`?',
    );
    expect(server.hitCount()).toBe(0);
  });

  it('never shows the value of a misspelt key (it may be a secret)', () => {
    const error = thrown(() => new OpenAILLM('m', { apikey: 'sk-secret-123' } as never));
    expect(error.message).toContain('did you mean `apiKey`?');
    expect(error.message).not.toContain('sk-secret-123');
  });

  it('accepts every documented key, and lists them when nothing is close', () => {
    expect(() =>
      llm.withRetry({
        maxRetries: 1,
        initialDelay: 1,
        maxDelay: 2,
        backoffMultiplier: 2,
        backoffStrategy: 'fixed',
        jitter: false,
        retryOn: [],
        stopOn: [],
        retryCondition: () => true,
        respectRetryAfter: true,
        onRetry: () => {},
        onFailure: () => {},
        onInterrupt: 'error',
        random: Math.random,
      }),
    ).not.toThrow();
    const error = thrown(() => llm.withRetry({ zzz: 1 } as never));
    expect(error.message).toMatch(
      /^Unknown option `zzz` in `withRetry` options; it takes `maxRetries`, `initialDelay`/,
    );
  });
});

describe('bad input to ask() and stream()', () => {
  it('rejects an empty prompt before any request', async () => {
    await expect(llm.ask('')).rejects.toMatchObject({
      name: 'TypeError',
      message: expect.stringContaining('`input` must be a non-empty prompt, got ""'),
    });
    expect(() => llm.stream('  \n')).toThrow(/`input` must be a non-empty prompt/);
    expect(server.hitCount()).toBe(0);
  });

  it('rejects an unknown role, naming the message index and the role it meant', async () => {
    const input = [
      { role: 'system', content: 'Be brief.' },
      { role: 'usr', content: 'Hi' },
    ] as never;
    await expect(llm.ask(input)).rejects.toMatchObject({
      name: 'TypeError',
      message:
        "`input[1].role` must be one of 'system', 'user', 'assistant', 'tool', got 'usr'; did you mean 'user'?",
    });
    expect(() => llm.stream([{ content: 'Hi' }] as never)).toThrow(
      /`input\[0\]\.role` must be one of .*got undefined/,
    );
    expect(server.hitCount()).toBe(0);
  });
});

describe('client validation', () => {
  it('OpenAILLM refuses a client that is not an OpenAI client, at construction', () => {
    const error = thrown(() => new OpenAILLM('m', { client: {} as never }));
    expect(error.name).toBe('TypeError');
    expect(error.message).toBe(
      '`client` must be an OpenAI client (`new OpenAI(…)` from `openai`), got an object without `chat.completions.create()`',
    );
    expect(() => new OpenAILLM('m', { client: 'sk-abc' as never })).toThrow(
      /`client` must be an OpenAI client.*got sk-abc/,
    );
  });

  it('AnthropicLLM refuses a client that is not an Anthropic client, at construction', () => {
    const openai = new OpenAI({ apiKey: 'k', baseURL: server.openaiBaseURL });
    const error = thrown(() => new AnthropicLLM('m', { client: openai as never }));
    expect(error.name).toBe('TypeError');
    expect(error.message).toContain('`client` must be an Anthropic client');
    expect(error.message).toContain('got an object without `messages.create()`');
  });

  it('accepts real SDK clients and answers through them', async () => {
    const openai = new OpenAILLM('gpt-4o-mini', {
      client: new OpenAI({ apiKey: 'k', baseURL: server.openaiBaseURL }),
    });
    const anthropic = new AnthropicLLM('claude-haiku-4-5', {
      client: new Anthropic({ apiKey: 'k', baseURL: server.anthropicBaseURL }),
    });
    expect((await openai.ask('hi')).text).toBe('Hello from gpt-4o-mini.');
    expect((await anthropic.ask('hi')).text).toBe('Hello from claude-haiku-4-5.');
  });
});
