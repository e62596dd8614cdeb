import OpenAI from 'openai';
import {
  BadRequestError,
  ConnectionError,
  FallbackError,
  LLMError,
  OverloadedError,
  RateLimitError,
  RetryError,
  retryAfterMs,
  ServerError,
  StreamInterruptedError,
} from '../lib/index.js';
import { classifySdkError } from '../lib/errors/classify.js';

const headers = (h: Record<string, string>): Headers => new Headers(h);

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');

  it('reads retry-after-ms first, in milliseconds', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toBe(1500);
    expect(retryAfterMs(headers({ 'retry-after-ms': '12.5' }), now)).toBe(12.5);
  });

  it('reads retry-after as seconds or as an HTTP date', () => {
    expect(retryAfterMs(headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMs(headers({ 'retry-after': '0.25' }), now)).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': 'Mon, 23 Nov 2026 10:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(headers({ 'retry-after': 'Mon, 23 Nov 2026 09:59:00 GMT' }), now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs(headers({}), now)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': '-3' }), now)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after-ms': 'x', 'retry-after': '1' }), now)).toBe(1000);
  });
});

describe('LLMError classes', () => {
  it('carry kind, context, retryable and cause', () => {
    const cause = new Error('sdk');
    const e = new RateLimitError('slow down', {
      provider: 'openai',
      model: 'gpt-4o',
      status: 429,
      requestId: 'req_1',
      retryAfterMs: 20,
      cause,
    });
    expect(e).toBeInstanceOf(LLMError);
    expect(e).toMatchObject({
      name: 'RateLimitError',
      kind: 'rate_limit',
      provider: 'openai',
      model: 'gpt-4o',
      status: 429,
      requestId: 'req_1',
      retryAfterMs: 20,
      retryable: true,
    });
    expect(e.cause).toBe(cause);
    expect(new BadRequestError('no').retryable).toBe(false);
    expect(new BadRequestError('no', { retryable: true }).retryable).toBe(true);
  });

  it('give RetryError and FallbackError the retryability and context of their last error', () => {
    const last = new OverloadedError('busy', { status: 529, retryAfterMs: 100, model: 'b' });
    const retry = new RetryError([new ServerError('x'), last], []);
    expect(retry).toMatchObject({
      kind: 'retry_exhausted',
      retryable: true,
      status: 529,
      retryAfterMs: 100,
      model: 'b',
      lastError: last,
    });
    expect(retry.message).toBe('Gave up after 2 attempts: OverloadedError: busy');
    const fallback = new FallbackError([retry, new BadRequestError('bad')], []);
    expect(fallback).toMatchObject({ kind: 'fallback_exhausted', retryable: false });
    expect(fallback.errors).toHaveLength(2);
    expect(new RetryError([new TypeError('bug')], []).retryable).toBe(false);
  });

  it('keep partialText on a StreamInterruptedError', () => {
    expect(new StreamInterruptedError('cut', 'Hello').partialText).toBe('Hello');
  });
});

describe('classifySdkError', () => {
  const scope = { provider: 'openai' as const, model: 'gpt-4o', secrets: ['sk-secret-value'] };
  const sdk = {
    APIError: OpenAI.APIError,
    APIConnectionError: OpenAI.APIConnectionError,
    APIConnectionTimeoutError: OpenAI.APIConnectionTimeoutError,
    APIUserAbortError: OpenAI.APIUserAbortError,
    facts: (e: InstanceType<typeof OpenAI.APIError>) => ({
      status: e.status,
      type: e.type,
      code: e.code,
      message: e.message,
      headers: e.headers,
      requestId: e.requestID,
    }),
  };

  it('maps an SDK APIError by status and code, keeping the SDK error as cause', () => {
    const raw = OpenAI.APIError.generate(
      429,
      { error: { message: 'quota', type: 'insufficient_quota', code: 'insufficient_quota' } },
      undefined,
      headers({ 'x-request-id': 'req_9' }),
    );
    const e = classifySdkError(raw, scope, sdk);
    expect(e).toMatchObject({
      name: 'QuotaExceededError',
      status: 429,
      requestId: 'req_9',
      retryable: false,
    });
    expect((e as Error).cause).toBe(raw);
  });

  it('maps a bare TypeError: terminated (a cut stream) to ConnectionError', () => {
    const raw = new TypeError('terminated', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(classifySdkError(raw, scope, sdk)).toBeInstanceOf(ConnectionError);
  });

  it('makes any other failure of a provider call a ProviderError, keeping it as the cause', () => {
    const bug = new TypeError('undefined is not a function');
    const error = classifySdkError(bug, scope, sdk) as LLMError;
    expect(error).toMatchObject({ name: 'ProviderError', kind: 'provider_error', retryable: false });
    expect(error.cause).toBe(bug);
    expect(error.message).toContain('TypeError: undefined is not a function');
  });

  it('leaves a user abort as it is', () => {
    const abort = new OpenAI.APIUserAbortError();
    expect(classifySdkError(abort, scope, sdk)).toBe(abort);
  });

  it('redacts secrets from the message and from the SDK error itself', () => {
    const raw = OpenAI.APIError.generate(
      401,
      {
        error: {
          message: 'Incorrect API key provided: sk-secret-value',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      },
      undefined,
      headers({}),
    );
    const e = classifySdkError(raw, scope, sdk) as Error;
    expect(e.message).toBe('401 Incorrect API key provided: [redacted]');
    expect(raw.message).not.toContain('sk-secret-value');
    expect(JSON.stringify((raw as { error?: unknown }).error)).not.toContain('sk-secret-value');
  });
});
