/**
 * The provider extension point: a third provider, written here against `ProviderLLM` with
 * nothing but `fetch`, talking to the fault server's OpenAI route. It gets the attempt
 * history, timeouts, cancellation, stream-cut handling and every layer for free.
 */
import {
  type Completion,
  ConnectionError,
  type HeaderListener,
  type LLMRequest,
  OpenAILLM,
  OverloadedError,
  ProviderLLM,
  type ProviderDefaults,
  RateLimitError,
  ServerError,
  StreamInterruptedError,
  type StreamUpdate,
  TimeoutError,
} from '../lib/index.js';
import { FaultServer } from '../lib/testing/index.js';
import { drain } from './helpers/script.js';

let server: FaultServer;
beforeAll(async () => {
  server = await FaultServer.start();
});
beforeEach(() => server.resetHits());
afterAll(() => server.close());

/** An HTTP error answer, before classification. */
class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
  ) {
    super(`HTTP ${status}`);
  }
}

/** Server-sent events of a response body, as parsed JSON, until `[DONE]`. */
async function* sse(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer.slice(0, end).replace(/^data: /, '');
      buffer = buffer.slice(end + 2);
      if (data === '[DONE]') return;
      yield JSON.parse(data);
    }
  }
}

interface Chunk {
  model?: string;
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

/** A bare-fetch chat client for an OpenAI-compatible server: the third provider. */
class FetchChatLLM extends ProviderLLM {
  readonly provider = 'openai' as const;
  readonly #baseURL: string;

  constructor(model: string, baseURL: string, defaults: ProviderDefaults = {}) {
    super(model, defaults);
    this.#baseURL = baseURL;
    Object.freeze(this);
  }

  protected async complete(
    request: LLMRequest,
    signal?: AbortSignal,
    onHeaders?: HeaderListener,
  ): Promise<Completion> {
    const response = await this.#post(request, false, signal, onHeaders);
    const body = (await response.json()) as {
      model: string;
      choices: { message: { content: string }; finish_reason: string }[];
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    const { prompt_tokens: input, completion_tokens: output } = body.usage;
    return {
      text: body.choices[0]!.message.content,
      model: body.model,
      finishReason: body.choices[0]!.finish_reason,
      usage: { inputTokens: input, outputTokens: output, totalTokens: input + output },
      raw: body,
    };
  }

  protected async open(request: LLMRequest, signal?: AbortSignal, onHeaders?: HeaderListener) {
    return sse((await this.#post(request, true, signal, onHeaders)).body!);
  }

  protected read(event: unknown): StreamUpdate {
    const { model, choices, usage } = event as Chunk;
    const choice = choices?.[0];
    return {
      model,
      text: choice?.delta?.content ?? undefined,
      finishReason: choice?.finish_reason ?? undefined,
      ...(usage
        ? { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, terminal: true }
        : {}),
    };
  }

  protected classify(error: unknown): unknown {
    const scope = { provider: this.provider, model: this.model, cause: error };
    if (!(error instanceof HttpFailure)) return new ConnectionError(String(error), scope);
    const retryAfter = Number(error.headers.get('retry-after-ms') ?? NaN);
    const context = {
      ...scope,
      status: error.status,
      ...(retryAfter >= 0 ? { retryAfterMs: retryAfter } : {}),
    };
    if (error.status === 429) return new RateLimitError(error.message, context);
    if (error.status === 503) return new OverloadedError(error.message, context);
    return new ServerError(error.message, context);
  }

  protected override async listModels(signal?: AbortSignal): Promise<unknown> {
    const response = await fetch(`${this.#baseURL}/models`, {
      signal,
      headers: { authorization: 'Bearer k' },
    });
    if (!response.ok) throw new HttpFailure(response.status, response.headers);
    return response.json();
  }

  async #post(request: LLMRequest, stream: boolean, signal?: AbortSignal, onHeaders?: HeaderListener) {
    const { system } = this.settings(request.options);
    const messages = [...(system ? [{ role: 'system', content: system }] : []), ...request.messages];
    const response = await fetch(`${this.#baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: JSON.stringify({
        model: this.model,
        messages,
        stream,
        stream_options: stream ? { include_usage: true } : undefined,
      }),
      signal,
    });
    onHeaders?.(response.headers);
    if (!response.ok) throw new HttpFailure(response.status, response.headers);
    return response;
  }
}

const fast = { initialDelay: 1, maxDelay: 5 };
const llm = (model: string, defaults: ProviderDefaults = {}) =>
  new FetchChatLLM(model, server.openaiBaseURL, defaults);

describe('a third provider built on ProviderLLM', () => {
  it('asks and streams on the wire, frozen once built, described like the shipped ones', async () => {
    const chat = llm('gpt-4o-mini');
    expect(Object.isFrozen(chat)).toBe(true);
    expect(chat.describe()).toBe('openai:gpt-4o-mini');
    const reply = await chat.ask('hi');
    expect([reply.text, reply.finishReason, reply.attempts.length]).toEqual([
      'Hello from gpt-4o-mini.',
      'stop',
      1,
    ]);
    const stream = chat.stream('hi');
    const { chunks } = await drain(stream);
    expect(chunks.join('')).toBe('Hello from gpt-4o-mini.');
    expect((await stream.finalReply()).usage.totalTokens).toBeGreaterThan(0);
  });

  it('is retried and falls back like a shipped provider, its attempts in the history', async () => {
    const primary = 'gpt-4o-mini~status=503';
    const chain = llm(primary)
      .withRetry({ maxRetries: 1, ...fast })
      .withFallbacks([new OpenAILLM('gpt-4o', { apiKey: 'k', baseURL: server.openaiBaseURL })]);
    const reply = await chain.ask('hi');
    expect(reply.attempts.map((a) => [a.model, a.outcome])).toEqual([
      [primary, 'error'],
      [primary, 'error'],
      ['gpt-4o', 'success'],
    ]);
    expect(reply.attempts[0]!.error).toBeInstanceOf(OverloadedError);
    expect(server.hitCount(primary)).toBe(2);
  });

  it('gets the timeouts and stream-cut handling of ProviderLLM', async () => {
    const hung = await llm('gpt-4o-mini~hang', { timeout: 100 })
      .ask('hi')
      .catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(TimeoutError);
    const { error } = await drain(llm('gpt-4o-mini~drop_after=2').stream('hi'));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).partialText).toBe('Hello from');
  });

  it('is seen by healthCheck() through its models-list call', async () => {
    const [health] = await llm('gpt-4o-mini').withRetry(1).healthCheck({ timeout: 5_000 });
    expect(health).toMatchObject({ llm: 'openai:gpt-4o-mini', reachable: true });
  });
});

describe('subclassing a shipped provider', () => {
  it('can add fields (the leaf no longer freezes a subclass) and is frozen once built', () => {
    class TaggedOpenAI extends OpenAILLM {
      readonly team = 'search';
      constructor(model: string) {
        super(model, { apiKey: 'k', baseURL: server.openaiBaseURL });
        Object.freeze(this);
      }
    }
    const tagged = new TaggedOpenAI('gpt-4o');
    expect([tagged.team, Object.isFrozen(tagged), tagged.withRetry(1).describe()]).toEqual([
      'search',
      true,
      'retry(openai:gpt-4o ×2)',
    ]);
    expect(Object.isFrozen(new OpenAILLM('gpt-4o', { apiKey: 'k' }))).toBe(true);
  });
});
